/* Independent C reference of TokenSampler's full-vocabulary draw (temperature, no truncation), written from the
 * algorithm its documentation states: logits / T (IEEE single division), weights = Cephes expf(logit - max/T) in
 * single precision, block sums over 256 tokens (eight interleaved double accumulators: lanes 0-3 then 4-7 added
 * pairwise, then a tail), total = blocks summed in order, target = (xoshiro256** >> 11) * 2^-53 * total, inverse CDF.
 * Build: gcc -O2 -ffp-contract=off seeded_draw_reference.c -o ref && ./ref   (prints the tokens the test expects) */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static uint64_t s[4];
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next(void) {
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}
static void seed(uint64_t x) {
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        s[i] = z ^ (z >> 31);
    }
}
static float expf_cephes(float x) {
    const float under = -87.33654f;
    float c = x > under - 1.0f ? x : under - 1.0f;
    volatile float biased = c * 1.44269504088896341f + 12582912.0f;
    float k = biased - 12582912.0f;
    float r = c - k * 0.693359375f - k * -2.12194440e-4f;
    float z = r * r;
    float y = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r
               + 1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23; float scale; memcpy(&scale, &bits, 4);
    return c < under ? 0.0f : y * scale;
}
static double block_sum(const float *w, int n) {
    double lane[8] = {0}, tail = 0; int i = 0;
    for (; i + 8 <= n; i += 8) for (int j = 0; j < 8; j++) lane[j] += w[i + j];
    for (; i < n; i++) tail += w[i];
    double l[4]; for (int j = 0; j < 4; j++) l[j] = lane[j] + lane[j + 4];
    return ((l[0] + l[1]) + (l[2] + l[3])) + tail;
}
#define V 1003
int main(void) {
    float logits[V], w[V]; double blocks[(V + 255) / 256];
    const float temperature = 0.7f; const int nb = (V + 255) / 256;
    seed((uint64_t)(int64_t)2024);
    for (int step = 0; step < 24; step++) {
        float max = -1e30f;
        for (int i = 0; i < V; i++) { logits[i] = (float)((i * 37 + step * 11) % 101) / 10.0f - 5.0f; if (logits[i] > max) max = logits[i]; }
        float shift = max / temperature;
        for (int i = 0; i < V; i++) w[i] = expf_cephes(logits[i] / temperature - shift);
        double total = 0;
        for (int b = 0; b < nb; b++) { int n = V - b * 256 < 256 ? V - b * 256 : 256; blocks[b] = block_sum(w + b * 256, n); total += blocks[b]; }
        double target = (double)(next() >> 11) * (1.0 / 9007199254740992.0) * total, cum = 0; int token = -1;
        for (int b = 0; b < nb && token < 0; b++) {
            double nxt = cum + blocks[b];
            if (target < nxt) { double in = cum; int end = b * 256 + 256 < V ? b * 256 + 256 : V;
                for (int i = b * 256; i < end; i++) if (w[i] > 0) { in += w[i]; token = i; if (target < in) break; } }
            cum = nxt;
        }
        printf("%d, ", token);
    }
    printf("\n");
    return 0;
}
