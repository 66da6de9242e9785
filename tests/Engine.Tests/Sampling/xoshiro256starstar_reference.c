/* Reference: https://prng.di.unimi.it/xoshiro256starstar.c and splitmix64.c (Vigna) */
#include <stdio.h>
#include <stdint.h>
static uint64_t sm;
static uint64_t splitmix64(void){uint64_t z=(sm+=0x9e3779b97f4a7c15ULL);z=(z^(z>>30))*0xbf58476d1ce4e5b9ULL;z=(z^(z>>27))*0x94d049bb133111ebULL;return z^(z>>31);}
static inline uint64_t rotl(const uint64_t x,int k){return (x<<k)|(x>>(64-k));}
static uint64_t s[4];
uint64_t next(void){const uint64_t result=rotl(s[1]*5,7)*9;const uint64_t t=s[1]<<17;s[2]^=s[0];s[3]^=s[1];s[1]^=s[2];s[0]^=s[3];s[2]^=t;s[3]=rotl(s[3],45);return result;}
int main(){long long seeds[]={0,42,-1};for(int j=0;j<3;j++){sm=(uint64_t)seeds[j];for(int i=0;i<4;i++)s[i]=splitmix64();printf("seed %lld:",seeds[j]);for(int i=0;i<5;i++)printf(" 0x%016llXUL,",(unsigned long long)next());printf("\n");}}
