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

int rk_version(void) { return 2; }

void rk_set_gemm(void* s, void* d) {
    sgemm_p = (sgemm_fn)s;
    dgemm_p = (dgemm_fn)d;
}

/* ---- GEMM: row-major C (M, N) = beta C + A (M, K) @ Bm (K, N) -------------------------
 * Either torch's BLAS, or for float32 with N a multiple of 16 a register-blocked
 * micro-kernel written with GCC vector extensions (AVX-512 or AVX2 per -march=native):
 * at the small M (the batch) of a recurrent step it is often faster than a library
 * GEMM built for large matrices. The caller measures both (rk_gemm_probe) and picks. */
static int own_gemm = 0;

void rk_set_own_gemm(int on) { own_gemm = on; }

typedef float v16 __attribute__((vector_size(64), aligned(4)));

#define ACC4(r) v16 c##r##0 = {0}, c##r##1 = {0}, c##r##2 = {0}, c##r##3 = {0}
#define FMA4(r, x) c##r##0 += (x) * b0, c##r##1 += (x) * b1, c##r##2 += (x) * b2, c##r##3 += (x) * b3
#define PUT(p, v) (*(v16*)(p) = beta == 0 ? (v) : beta * *(v16*)(p) + (v))
#define STORE4(r)                                         \
    {                                                     \
        float* q = C + (long)(r) * ldc;                   \
        PUT(q, c##r##0);                                  \
        PUT(q + 16, c##r##1);                             \
        PUT(q + 32, c##r##2);                             \
        PUT(q + 48, c##r##3);                             \
    }

/* a 4 x 64 block of C; element (m, k) of A is A[m * lda + k * ska] */
static inline void tile_4x64(int K, const float* A, long lda, long ska, const float* Bm, int ldb,
                             float beta, float* C, int ldc) {
    ACC4(0);
    ACC4(1);
    ACC4(2);
    ACC4(3);
    for (int k = 0; k < K; k++) {
        const float* a = A + (long)k * ska;
        const float* b = Bm + (long)k * ldb;
        v16 b0 = *(const v16*)b, b1 = *(const v16*)(b + 16);
        v16 b2 = *(const v16*)(b + 32), b3 = *(const v16*)(b + 48);
        FMA4(0, a[0]);
        FMA4(1, a[lda]);
        FMA4(2, a[2 * lda]);
        FMA4(3, a[3 * lda]);
    }
    STORE4(0) STORE4(1) STORE4(2) STORE4(3)
}

/* a 1 x 16 block of C (edges) */
static inline void tile_1x16(int K, const float* A, long ska, const float* Bm, int ldb, float beta,
                             float* C) {
    v16 c = {0};
    for (int k = 0; k < K; k++) c += A[(long)k * ska] * *(const v16*)(Bm + (long)k * ldb);
    PUT(C, c);
}

/* C (M, N) = beta C + A (M, K) Bm (K, N), N a multiple of 16; A strided (lda, ska), so
 * A = D^T of a row-major D (K, M) is lda = 1, ska = M: the weight-gradient form. */
void rk_sgemm(int M, int N, int K, const float* A, long lda, long ska, const float* Bm, int ldb,
              float beta, float* C, int ldc) {
    int M4 = M - M % 4, N64 = N - N % 64;
    for (int i = 0; i < M4; i += 4) {
        for (int j = 0; j < N64; j += 64)
            tile_4x64(K, A + i * lda, lda, ska, Bm + j, ldb, beta, C + (long)i * ldc + j, ldc);
        for (int r = i; r < i + 4; r++)
            for (int j = N64; j < N; j += 16)
                tile_1x16(K, A + r * lda, ska, Bm + j, ldb, beta, C + (long)r * ldc + j);
    }
    for (int r = M4; r < M; r++)
        for (int j = 0; j < N; j += 16)
            tile_1x16(K, A + r * lda, ska, Bm + j, ldb, beta, C + (long)r * ldc + j);
}

static void gemm_f32(int M, int N, int K, const float* A, int lda, const float* Bm, int ldb,
                     float beta, float* C, int ldc) {
    if (own_gemm && N % 16 == 0) {
        rk_sgemm(M, N, K, A, lda, 1, Bm, ldb, beta, C, ldc);
        return;
    }
    const float one = 1.0f;
    sgemm_p("N", "N", &N, &M, &K, &one, Bm, &ldb, A, &lda, &beta, C, &ldc);
}

static void gemm_f64(int M, int N, int K, const double* A, int lda, const double* Bm, int ldb,
                     double beta, double* C, int ldc) {
    const double one = 1.0;
    dgemm_p("N", "N", &N, &M, &K, &one, Bm, &ldb, A, &lda, &beta, C, &ldc);
}

/* Run `reps` float32 GEMMs of one shape with the chosen path (for the caller's probe). */
void rk_gemm_probe(int own, int reps, int M, int N, int K, const float* A, const float* Bm,
                   float* C) {
    int saved = own_gemm;
    own_gemm = own;
    for (int i = 0; i < reps; i++) gemm_f32(M, N, K, A, K, Bm, N, 0.0f, C, N);
    own_gemm = saved;
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
