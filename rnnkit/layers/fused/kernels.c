/* rnnkit's fused recurrent kernels, compiled on first use (see build.py).
 *
 * The cells' loops live in cells.inc, the linear scan of minGRU/minLSTM in scan.inc and
 * the inference step of a whole stack in step.inc, instantiated here for float and double. GEMMs go
 * through torch's own BLAS: the caller hands over the addresses of its sgemm_/dgemm_.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(const char*, const char*, const int*, const int*, const int*,
                         const float*, const float*, const int*, const float*, const int*,
                         const float*, float*, const int*);
typedef void (*dgemm_fn)(const char*, const char*, const int*, const int*, const int*,
                         const double*, const double*, const int*, const double*, const int*,
                         const double*, double*, const int*);
static sgemm_fn sgemm_p;
static dgemm_fn dgemm_p;

int rk_version(void) { return 3; }

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
    if (M <= 64) { /* a recurrent step's few rows: each 64-column block of Bm read once */
        for (int j = 0; j < N64; j += 64)
            for (int i = 0; i < M4; i += 4)
                tile_4x64(K, A + i * lda, lda, ska, Bm + j, ldb, beta, C + (long)i * ldc + j,
                          ldc);
    } else { /* many rows (a weight gradient's): each row block of A meets all of Bm */
        for (int i = 0; i < M4; i += 4)
            for (int j = 0; j < N64; j += 64)
                tile_4x64(K, A + i * lda, lda, ska, Bm + j, ldb, beta, C + (long)i * ldc + j,
                          ldc);
    }
    for (int r = 0; r < M; r++) /* the edges: columns past N64, rows past M4 */
        for (int j = r < M4 ? N64 : 0; j < N; j += 16)
            tile_1x16(K, A + r * lda, ska, Bm + j, ldb, beta, C + (long)r * ldc + j);
}

/* A weight gradient, C (M, N) = D^T H over all R rows: D (R, M), H (R, N) row-major, N a
 * multiple of 16; the micro-kernel reads D^T in place (no transposed copy), R in blocks of
 * 256 rows so that H's block stays in cache while every row of C meets it. */
void rk_wgrad_f32(int R, int M, int N, const float* D, const float* H, float* C) {
    for (int r = 0; r < R; r += 256) {
        int n = R - r < 256 ? R - r : 256;
        rk_sgemm(M, N, n, D + (long)r * M, 1, M, H + (long)r * N, N, r ? 1.0f : 0.0f, C, N);
    }
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

/* The vectors of the inference step (step.inc): 64 bytes of float or double, and TREE,
 * which reduces WIDE accumulators to one vector holding each one's sum (pairwise
 * shuffles and adds, log2(WIDE) levels, the i-th sum in lane i). */
typedef float vec_f32 __attribute__((vector_size(64), aligned(4)));
typedef double vec_f64 __attribute__((vector_size(64), aligned(8)));
typedef int32_t idx_f32 __attribute__((vector_size(64)));
typedef int64_t idx_f64 __attribute__((vector_size(64)));
#define HALVES(a, b, m, h) (__builtin_shuffle(a, b, m) + __builtin_shuffle(a, b, m + h))

static inline vec_f32 tree_f32(const vec_f32* a) {
    const idx_f32 m0 = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23};
    const idx_f32 m1 = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
    const idx_f32 m2 = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29};
    const idx_f32 m3 = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    vec_f32 b[8], c[4], d[2];
    for (int i = 0; i < 8; i++) b[i] = HALVES(a[2 * i], a[2 * i + 1], m0, 8);
    for (int i = 0; i < 4; i++) c[i] = HALVES(b[2 * i], b[2 * i + 1], m1, 4);
    for (int i = 0; i < 2; i++) d[i] = HALVES(c[2 * i], c[2 * i + 1], m2, 2);
    return HALVES(d[0], d[1], m3, 1);
}

static inline vec_f64 tree_f64(const vec_f64* a) {
    const idx_f64 m0 = {0, 1, 2, 3, 8, 9, 10, 11};
    const idx_f64 m1 = {0, 1, 4, 5, 8, 9, 12, 13};
    const idx_f64 m2 = {0, 2, 4, 6, 8, 10, 12, 14};
    vec_f64 b[4], c[2];
    for (int i = 0; i < 4; i++) b[i] = HALVES(a[2 * i], a[2 * i + 1], m0, 4);
    for (int i = 0; i < 2; i++) c[i] = HALVES(b[2 * i], b[2 * i + 1], m1, 2);
    return HALVES(c[0], c[1], m2, 1);
}

/* One layer of a stack for the inference step (step.inc), filled in by step.py: the
 * cell's kind, gates G, sizes, and its weights in torch's layouts (NULL where absent). */
typedef struct {
    int64_t kind, G, I, H, P;
    const void* w[12];
} rk_layer;
/* A stack for the step: its layers, and optionally an embedding table in front (V_in
 * rows of the first layer's I) and a read-out behind it (Wo (V_out, P), bo (V_out)). */
typedef struct {
    int64_t nl;
    const rk_layer* layers;
    const void* table;
    int64_t V_in;
    const void *Wo, *bo;
    int64_t V_out;
} rk_stack;
enum { RK_RNN_TANH, RK_RNN_RELU, RK_GRU, RK_GRU_CHO, RK_LSTM, RK_MINGRU, RK_MINLSTM };
enum { W_IH, B_IH, W_HH, B_HH, LNI_W, LNI_B, LNH_W, LNH_B, LNC_W, LNC_B, PEEP, W_HR };

#define REAL float
#define SUF f32
#define EXP fast_expf
#define SQRT sqrtf
#define LOG1P log1pf
#define VEC vec_f32
#define TREE tree_f32
#define LANES 16
#define WIDE 16
#define QUAD 4
#include "norms.inc"
#include "cells.inc"
#include "scan.inc"
#include "products.inc"
#include "step.inc"
#undef REAL
#undef SUF
#undef EXP
#undef SQRT
#undef LOG1P
#undef VEC
#undef TREE
#undef LANES
#undef WIDE
#undef QUAD

#define REAL double
#define SUF f64
#define EXP exp
#define SQRT sqrt
#define LOG1P log1p
#define VEC vec_f64
#define TREE tree_f64
#define LANES 8
#define WIDE 8
#define QUAD 2
#include "norms.inc"
#include "cells.inc"
#include "scan.inc"
#include "products.inc"
#include "step.inc"
#include "bf16.inc"
