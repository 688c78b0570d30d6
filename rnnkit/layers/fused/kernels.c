/* rnnkit's fused recurrent kernels, compiled on first use (see build.py).
 *
 * The cells' loops live in cells.inc and the linear scan of minGRU/minLSTM in scan.inc,
 * instantiated here for float and double. GEMMs go
 * through torch's own BLAS: the caller hands over the addresses of its sgemm_/dgemm_.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef void (*sgemm_fn)(const char*, const char*, const int*, const int*, const int*,
                         const float*, const float*, const int*, const float*, const int*,
                         const float*, float*, const int*);
typedef void (*dgemm_fn)(const char*, const char*, const int*, const int*, const int*,
                         const double*, const double*, const int*, const double*, const int*,
                         const double*, double*, const int*);
static sgemm_fn sgemm_p;
static dgemm_fn dgemm_p;

int rk_version(void) { return 1; }

void rk_set_gemm(void* s, void* d) {
    sgemm_p = (sgemm_fn)s;
    dgemm_p = (dgemm_fn)d;
}

/* Row-major C (M, N) = A (M, K) @ op(W) + beta C: W is (N, K) when nk (A @ W^T), else (K, N). */
static void gemm_f32(int M, int N, int K, const float* A, int lda, const float* W, int nk,
                     float beta, float* C, int ldc) {
    const float one = 1.0f;
    int ldw = nk ? K : N;
    sgemm_p(nk ? "T" : "N", "N", &N, &M, &K, &one, W, &ldw, A, &lda, &beta, C, &ldc);
}

static void gemm_f64(int M, int N, int K, const double* A, int lda, const double* W, int nk,
                     double beta, double* C, int ldc) {
    const double one = 1.0;
    int ldw = nk ? K : N;
    dgemm_p(nk ? "T" : "N", "N", &N, &M, &K, &one, W, &ldw, A, &lda, &beta, C, &ldc);
}

/* exp for float32 that vectorises: Cephes' range reduction and polynomial (~1 ulp).
 * The clamp is written with comparisons (not fminf/fmaxf) so that it vectorises
 * without -ffinite-math-only and a NaN stays NaN. */
static inline float fast_expf(float x) {
    x = x > 88.3f ? 88.3f : x;
    x = x < -87.3f ? -87.3f : x;
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale); /* 2^n; compiles to a register move */
    return p * scale;
}

#define REAL float
#define SUF f32
#define EXP fast_expf
#define SQRT sqrtf
#include "cells.inc"
#include "scan.inc"
#undef REAL
#undef SUF
#undef EXP
#undef SQRT

#define REAL double
#define SUF f64
#define EXP exp
#define SQRT sqrt
#include "cells.inc"
#include "scan.inc"
