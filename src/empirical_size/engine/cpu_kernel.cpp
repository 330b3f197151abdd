// Training of small ReLU networks on a CPU core, one trial at a
// time, every step of a trial before the next: a trial's activations (n x
// width per layer) stay in the core's cache, and each layer's bias, ReLU and
// ReLU gradient are applied to a tile of a product while it is still in
// registers, where TensorFlow's ops stream every intermediate through memory.
// The arithmetic is Keras' (the summed per-trial MSE and Adadelta's
// update_step); only the order of additions in the products differs, as it
// does between any two BLAS. Loaded by cpu_kernel.py (ctypes), which pads the
// width to a whole number of vectors (padded units stay exactly zero).
//
// Layouts, per trial: x (n, inputs), y (n), mask (n) or none; parameters,
// and both Adadelta accumulators, as [kernel_0, bias_0, ..., kernel_depth,
// bias_depth] with kernels (fan_in, fan_out) row-major, fan_out = 1 last.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <algorithm>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

// The layout fits the instruction set the compiler targets (-march): the
// vector width, and register tiles that fit its vector registers (acc[R][V]
// + V loaded weights + 1 broadcast). Tiles larger than the register file
// spill their accumulators and run 10-20x slower (64-byte vectors in 6x4
// tiles on AVX2), so each target gets its own. The shapes are the fastest
// of a sweep on one CPU per target (benchmarks/README.md); to tune another,
// build by hand with -DES_TILE_ROWS=... (cpu_kernel.py never sets them).
#if defined(__AVX512F__)  // 32 registers of 64 bytes: 24 + 4 + 1
#define ES_TARGET "avx512"
#define ES_VECTOR_BYTES 64
#define ES_DEFAULT_ROWS 6
#define ES_DEFAULT_VECTORS 4
#elif defined(__AVX2__) && defined(__FMA__)  // 16 registers of 32 bytes: 12 + 2 + 1
#define ES_TARGET "avx2+fma"
#define ES_VECTOR_BYTES 32
#define ES_DEFAULT_ROWS 6
#define ES_DEFAULT_VECTORS 2
#elif defined(__aarch64__) && defined(__ARM_NEON)  // 32 registers of 16 bytes: 24 + 4 + 1
#define ES_TARGET "neon"
#define ES_VECTOR_BYTES 16
#define ES_DEFAULT_ROWS 6
#define ES_DEFAULT_VECTORS 4
#elif defined(__SSE4_2__)  // 16 registers of 16 bytes, no FMA (products take a temporary)
#define ES_TARGET "sse4.2"
#define ES_VECTOR_BYTES 16
#define ES_DEFAULT_ROWS 4
#define ES_DEFAULT_VECTORS 3
#else  // SSE2, any x86-64 (or another CPU's 16-byte vectors)
#define ES_TARGET "sse2"
#define ES_VECTOR_BYTES 16
#define ES_DEFAULT_ROWS 4
#define ES_DEFAULT_VECTORS 3
#endif
#ifndef ES_TILE_ROWS  // products: rows of samples by vectors of units
#define ES_TILE_ROWS ES_DEFAULT_ROWS
#endif
#ifndef ES_TILE_VECTORS
#define ES_TILE_VECTORS ES_DEFAULT_VECTORS
#endif
#ifndef ES_GRAD_ROWS  // kernel gradient tiles: rows of a^T by vectors of d
#define ES_GRAD_ROWS ES_TILE_ROWS
#endif
#ifndef ES_GRAD_VECTORS
#define ES_GRAD_VECTORS ES_TILE_VECTORS
#endif

// GCC/Clang vector extensions: the same code compiles for every target.
template <typename T> struct simd { typedef T type __attribute__((vector_size(ES_VECTOR_BYTES))); };
template <typename T> using vec = typename simd<T>::type;
template <typename T> constexpr int lanes = ES_VECTOR_BYTES / sizeof(T);

template <typename T> static inline vec<T> load(const T *p) { vec<T> v; std::memcpy(&v, p, sizeof v); return v; }
template <typename T> static inline void store(T *p, vec<T> v) { std::memcpy(p, &v, sizeof v); }
// every lane x: one broadcast (0 + x, its usual spelling, costs an addition
// before every broadcast; a loop over lanes compiles to inserts)
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define ES_SHUFFLEVECTOR 1
#endif
#endif
template <typename T> static inline vec<T> splat(T x) {
    vec<T> v{x};
#if defined(ES_SHUFFLEVECTOR)  // GCC 12+, Clang
    return [&]<size_t... I>(std::index_sequence<I...>) { return __builtin_shufflevector(v, v, (I, 0)...); }(
        std::make_index_sequence<lanes<T>>{});
#elif defined(__GNUC__)  // GCC 11 and older: the same shuffle, by an index vector
    using lane_index = std::conditional_t<sizeof(T) == 4, int, long long>;
    typedef lane_index indices __attribute__((vector_size(ES_VECTOR_BYTES)));
    return __builtin_shuffle(v, indices{});
#else
    return vec<T>{} + x;
#endif
}

// pairwise: a chain of log2(lanes) additions, not lanes
template <typename T> static inline T hsum(vec<T> v) {
    T s[lanes<T>];
    std::memcpy(s, &v, sizeof v);
#pragma GCC unroll 8
    for (int w = lanes<T> / 2; w > 0; w /= 2)
#pragma GCC unroll 16
        for (int i = 0; i < w; i++) s[i] += s[i + w];
    return s[0];
}

// BIAS_RELU_NAN: BIAS_RELU that keeps NaN, as numpy's maximum(x, 0) does
enum Epilogue { BIAS_RELU, RELU_GATE, BIAS_RELU_NAN };

// out[r, c] = epilogue(sum_k a[r, k] w[k, c]) for R rows and NV vectors of columns from c0
template <typename T, int R, int NV, Epilogue E>
static inline void tile(const T *a, int K, const T *w, int C, const T *bias, const T *gate, T *out, int c0) {
    constexpr int L = lanes<T>;
    vec<T> acc[R][NV];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NV; j++) acc[r][j] = E != RELU_GATE ? load(bias + c0 + j * L) : vec<T>{};
    for (int k = 0; k < K; k++) {
        vec<T> wv[NV];
#pragma GCC unroll 16
        for (int j = 0; j < NV; j++) wv[j] = load(w + (size_t)k * C + c0 + j * L);
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            vec<T> s = splat(a[(size_t)r * K + k]);
#pragma GCC unroll 16
            for (int j = 0; j < NV; j++) acc[r][j] += s * wv[j];
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NV; j++) {
            vec<T> x = acc[r][j];
            if constexpr (E == BIAS_RELU_NAN) {
                store(out + (size_t)r * C + c0 + j * L, ((x > 0) | (x != x)) ? x : vec<T>{});
            } else {
                vec<T> g = E == BIAS_RELU ? x : load(gate + (size_t)r * C + c0 + j * L);
                store(out + (size_t)r * C + c0 + j * L, g > 0 ? x : vec<T>{});
            }
        }
}

// Calls f.template run<N>() for N = count, 0 < count <= MAX: the remainder
// of a loop over whole tiles, each size compiled with its own registers.
template <int MAX, typename F> static inline void dispatch(int count, F &&f) {
    if constexpr (MAX > 0) {
        if (count == MAX) f.template operator()<MAX>();
        else dispatch<MAX - 1>(count, f);
    }
}

// One panel of NV vectors of columns from c0, every row: the panel of w
// (K x NV vectors) stays in the core's cache while the rows pass, where rows
// outside would stream all of w from memory once per R rows (width 500: 1 MB).
template <typename T, int NV, Epilogue E>
static inline void panel(const T *a, int n, int K, const T *w, int C, const T *bias, const T *gate, T *out, int c0) {
    constexpr int R = ES_TILE_ROWS;
    int r = 0;
    auto rows = [&]<int RR>() {
        tile<T, RR, NV, E>(a + (size_t)r * K, K, w, C, bias, gate ? gate + (size_t)r * C : nullptr, out + (size_t)r * C, c0);
    };
    for (; r + R <= n; r += R) rows.template operator()<R>();
    dispatch<R - 1>(n - r, rows);
}

// out (n x C) = epilogue(a (n x K) w (K x C))
template <typename T, Epilogue E>
static void product(const T *a, int n, int K, const T *w, int C, const T *bias, const T *gate, T *out) {
    constexpr int L = lanes<T>, V = ES_TILE_VECTORS;
    int c0 = 0;
    for (; c0 + V * L <= C; c0 += V * L) panel<T, V, E>(a, n, K, w, C, bias, gate, out, c0);
    dispatch<V - 1>((C - c0) / L, [&]<int NV>() { panel<T, NV, E>(a, n, K, w, C, bias, gate, out, c0); });
}

// g[i0 + i, c] += sum_r a[r, i0 + i] d[r, c]; with BIAS also gb[c] += sum_r d[r, c]
template <typename T, int R, int NV, bool BIAS>
static inline void gtile(const T *a, int n, int K, const T *d, int C, T *g, T *gb, int i0, int c0) {
    constexpr int L = lanes<T>;
    vec<T> acc[R][NV], bacc[NV];
#pragma GCC unroll 16
    for (int j = 0; j < NV; j++) {
        bacc[j] = vec<T>{};
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) acc[i][j] = vec<T>{};
    }
    for (int r = 0; r < n; r++) {
        vec<T> dv[NV];
#pragma GCC unroll 16
        for (int j = 0; j < NV; j++) {
            dv[j] = load(d + (size_t)r * C + c0 + j * L);
            if (BIAS) bacc[j] += dv[j];
        }
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            vec<T> s = splat(a[(size_t)r * K + i0 + i]);
#pragma GCC unroll 16
            for (int j = 0; j < NV; j++) acc[i][j] += s * dv[j];
        }
    }
#pragma GCC unroll 16
    for (int j = 0; j < NV; j++) {
        if (BIAS) store(gb + c0 + j * L, load(gb + c0 + j * L) + bacc[j]);
#pragma GCC unroll 16
        for (int i = 0; i < R; i++) {
            T *at = g + (size_t)(i0 + i) * C + c0 + j * L;
            store(at, load(at) + acc[i][j]);
        }
    }
}

template <typename T, int R, bool BIAS>
static inline void gtile_col(const T *a, int n, int K, const T *d, int C, T *g, T *gb, int i0) {
    constexpr int L = lanes<T>, V = ES_GRAD_VECTORS;
    int c0 = 0;
    for (; c0 + V * L <= C; c0 += V * L) gtile<T, R, V, BIAS>(a, n, K, d, C, g, gb, i0, c0);
    dispatch<V - 1>((C - c0) / L, [&]<int NV>() { gtile<T, R, NV, BIAS>(a, n, K, d, C, g, gb, i0, c0); });
}

// kernel gradient g (K x C) += a^T d and bias gradient gb (C) += column sums of d
template <typename T>
static void kernel_gradient(const T *a, int n, int K, const T *d, int C, T *g, T *gb) {
    constexpr int R = ES_GRAD_ROWS;
    int i = 0;
    auto rows = [&]<int RR>() {  // the first tile of rows also sums the bias gradient
        if (i == 0) gtile_col<T, RR, true>(a, n, K, d, C, g, gb, i);
        else gtile_col<T, RR, false>(a, n, K, d, C, g, gb, i);
    };
    for (; i + R <= K; i += R) rows.template operator()<R>();
    dispatch<R - 1>(K - i, rows);
}

// The same, GRAD_CHUNK rows at a time: a chunk's rows of a and d (and g,
// K x C) stay in the first-level cache while every tile of g passes over
// them, where whole columns of a block of 512 rows come from the second.
#ifndef ES_GRAD_CHUNK
#define ES_GRAD_CHUNK 64
#endif
template <typename T>
static void chunked_kernel_gradient(const T *a, int n, int K, const T *d, int C, T *g, T *gb) {
    for (int r = 0; r < n; r += ES_GRAD_CHUNK)
        kernel_gradient<T>(a + (size_t)r * K, std::min(ES_GRAD_CHUNK, n - r), K, d + (size_t)r * C, C, g, gb);
}

// t (C x K) = w^T for w (K x C), in square blocks: rows of t written whole
// while their block of w stays in cache (a column at a time, each write
// lands a row apart, 4 KB at width 1024: the same cache set every time).
template <typename T>
static void transpose(const T *w, int K, int C, T *t) {
    constexpr int B = 32;
    for (int i0 = 0; i0 < K; i0 += B)
        for (int c0 = 0; c0 < C; c0 += B)
            for (int c = c0; c < std::min(c0 + B, C); c++)
                for (int i = i0; i < std::min(i0 + B, K); i++) t[(size_t)c * K + i] = w[(size_t)i * C + c];
}

// Output layer (one linear unit) and the loss: adds its kernel and bias gradients, and writes
// the last hidden layer's pre-ReLU gradient dz = g w^T masked by a > 0.
template <typename T>
static void output_backward(const T *a, int n, int h, const T *w, T b, const T *y, const T *mask, T count, T *gw, T *gb, T *dz) {
    constexpr int L = lanes<T>;
    T gbias = 0;
    for (int r = 0; r < n; r++) {
        const T *row = a + (size_t)r * h;
        vec<T> p{};
        for (int k = 0; k < h; k += L) p += load(row + k) * load(w + k);
        T pred = hsum<T>(p) + b;
        T g = (T)2 * (pred - y[r]) / count;
        if (mask) g *= mask[r];
        gbias += g;
        for (int k = 0; k < h; k += L) {
            vec<T> av = load(row + k);
            store(gw + k, load(gw + k) + av * g);
            store(dz + (size_t)r * h + k, av > 0 ? load(w + k) * g : vec<T>{});
        }
    }
    *gb += gbias;
}

template <typename T>
static void adadelta(T *w, T *ag, T *ad, const T *g, size_t m, double lr, double rho, double eps, double scale) {
    constexpr int L = lanes<T>;
    const T r = (T)rho, omr = (T)(1.0 - rho), e = (T)eps, l = (T)lr, c = (T)scale;
    size_t i = 0;
    for (; i + L <= m; i += L) {
        vec<T> gv = load(g + i) * c;  // the loss scale (1: the paper's; times 1 is exact)
        vec<T> a = r * load(ag + i) + omr * (gv * gv);
        store(ag + i, a);
        vec<T> adv = load(ad + i);
        vec<T> num = adv + e, den = a + e;
        for (int j = 0; j < L; j++) { num[j] = std::sqrt(num[j]); den[j] = std::sqrt(den[j]); }
        vec<T> delta = -((num * gv) / den);
        store(ad + i, r * adv + omr * (delta * delta));
        store(w + i, load(w + i) + l * delta);
    }
    for (; i < m; i++) {
        T gi = g[i] * c;
        T a = r * ag[i] + omr * (gi * gi);
        ag[i] = a;
        T delta = -((std::sqrt(ad[i] + e) * gi) / std::sqrt(a + e));
        ad[i] = r * ad[i] + omr * (delta * delta);
        w[i] = w[i] + l * delta;
    }
}

// One trial's network and workspace: a step's activations and gradients
// for `block` samples at a time.
template <typename T> struct Net {
    int depth, d, h, block;
    std::vector<size_t> off;  // offsets of [kernel_0, bias_0, ...] in the parameters
    size_t parameters = 0;
    std::vector<T> grads, acts, dz, dz2, wt, xb, yb;

    Net(int depth_, int d_, int h_, int block_) : depth(depth_), d(d_), h(h_), block(block_), off(2 * (depth_ + 1)) {
        for (int l = 0; l <= depth; l++) {
            int fan_in = l == 0 ? d : h, fan_out = l == depth ? 1 : h;
            off[2 * l] = parameters;
            parameters += (size_t)fan_in * fan_out;
            off[2 * l + 1] = parameters;
            parameters += fan_out;
        }
        grads.resize(parameters);
        acts.resize((size_t)depth * block * h);
        dz.resize((size_t)block * h);
        dz2.resize((size_t)block * h);
        wt.resize((size_t)(depth - 1) * h * h);
    }

    // Forward and backward pass of n <= block samples, adding their gradients to grads.
    void pass(const T *x, const T *y, const T *mask, int n, T count, const T *params) {
        const T *in = x;
        int K = d;
        for (int l = 0; l < depth; l++) {
            T *out = acts.data() + (size_t)l * n * h;
            product<T, BIAS_RELU>(in, n, K, params + off[2 * l], h, params + off[2 * l + 1], nullptr, out);
            in = out;
            K = h;
        }
        T *g = grads.data(), *delta = dz.data(), *next = dz2.data();
        output_backward<T>(in, n, h, params + off[2 * depth], params[off[2 * depth + 1]], y, mask, count, g + off[2 * depth],
                           g + off[2 * depth + 1], delta);
        for (int l = depth - 1; l >= 0; l--) {
            const T *a = l == 0 ? x : acts.data() + (size_t)(l - 1) * n * h;
            chunked_kernel_gradient<T>(a, n, l == 0 ? d : h, delta, h, g + off[2 * l], g + off[2 * l + 1]);
            if (l > 0) {  // the previous layer's pre-ReLU gradient: delta W^T where a > 0
                product<T, RELU_GATE>(delta, n, h, wt.data() + (size_t)(l - 1) * h * h, h, nullptr, a, next);
                std::swap(delta, next);
            }
        }
    }

    // One Adadelta step on n samples (x, y; mask: weights 0/1, or none), in
    // blocks of samples whose activations stay in cache; their gradients add up.
    void step(const T *x, const T *y, const T *mask, int n, T *params, T *ag, T *ad, double lr, double rho, double eps,
              double scale) {
        // Trailing padding (a packed trial's, a short last batch's) adds exact
        // zeros to every sum: skip it.
        while (mask && n > 0 && mask[n - 1] == 0) n--;
        T count = 0;
        for (int r = 0; r < n; r++) count += mask ? mask[r] : 1;
        for (int l = 1; l < depth; l++) {  // the hidden kernels, transposed for the backward products
            const T *w = params + off[2 * l];
            T *t = wt.data() + (size_t)(l - 1) * h * h;
            transpose<T>(w, h, h, t);
        }
        std::fill(grads.begin(), grads.end(), T(0));
        for (int r = 0; r < n; r += block) {
            int m = n - r < block ? n - r : block;
            pass(x + (size_t)r * d, y + r, mask ? mask + r : nullptr, m, count, params);
        }
        adadelta<T>(params, ag, ad, grads.data(), parameters, lr, rho, eps, scale);
    }
};

// Full batch: `steps` steps of each trial, trials one after another;
// mask_stride 0 shares one mask (n) among them, n gives each its own.
template <typename T>
static void train(int trials, int depth, int d, int h, int n, const T *x, const T *y, const T *mask, int mask_stride,
                  T *params, T *ag, T *ad, long parameters, int steps, double lr, double rho, double eps, double scale,
                  int block) {
    Net<T> net(depth, d, h, n < block ? n : block);
    for (int t = 0; t < trials; t++) {
        size_t at = (size_t)t * parameters;
        for (int s = 0; s < steps; s++)
            net.step(x + (size_t)t * n * d, y + (size_t)t * n, mask ? mask + (size_t)t * mask_stride : nullptr, n,
                     params + at, ag + at, ad + at, lr, rho, eps, scale);
    }
}

// Mini-batches: step s of each trial gathers its samples batches[t, s, :]
// (width of them, positions where masks[t, s % per_epoch, :] is 0 being
// padding) and takes one step on them; mask_stride 0 shares the masks
// (per_epoch, width) among trials, per_epoch * width gives each its own.
template <typename T>
static void train_batches(int trials, int depth, int d, int h, int n, const T *x, const T *y, const int *batches,
                          int steps, int width, const T *masks, int per_epoch, int mask_stride, T *params, T *ag, T *ad,
                          long parameters, double lr, double rho, double eps, double scale, int block) {
    Net<T> net(depth, d, h, width < block ? width : block);
    net.xb.resize((size_t)width * d);
    net.yb.resize(width);
    for (int t = 0; t < trials; t++) {
        size_t at = (size_t)t * parameters;
        const T *xt = x + (size_t)t * n * d, *yt = y + (size_t)t * n;
        for (int s = 0; s < steps; s++) {
            const int *index = batches + ((size_t)t * steps + s) * width;
            for (int b = 0; b < width; b++) {
                std::memcpy(&net.xb[(size_t)b * d], xt + (size_t)index[b] * d, d * sizeof(T));
                net.yb[b] = yt[index[b]];
            }
            const T *mask = masks + (size_t)t * mask_stride + (size_t)(s % per_epoch) * width;
            net.step(net.xb.data(), net.yb.data(), mask, width, params + at, ag + at, ad + at, lr, rho, eps, scale);
        }
    }
}

// alive[t, l, c] = 1 where some row of x[t] gives hidden unit c of layer l a
// pre-activation > 0 (NaN rows count for nothing, and stay NaN downstream,
// as in numpy): E1's dead-neuron counts, a block of rows at a time whose
// activations stay in cache, the test fused into each product's tile.
template <typename T>
static void alive(int trials, int depth, int d, int h, int n, const T *x, const T *params, long parameters, unsigned char *out,
                  int block) {
    constexpr int L = lanes<T>;
    Net<T> net(depth, d, h, n < block ? n : block);
    std::vector<T> buf((size_t)2 * net.block * h), top((size_t)depth * h);  // top: each unit's largest output
    for (int t = 0; t < trials; t++) {
        const T *p = params + (size_t)t * parameters;
        std::fill(top.begin(), top.end(), T(0));
        for (int r0 = 0; r0 < n; r0 += net.block) {
            int m = n - r0 < net.block ? n - r0 : net.block;
            const T *in = x + ((size_t)t * n + r0) * d;
            int K = d;
            for (int l = 0; l < depth; l++) {
                T *a = buf.data() + (size_t)(l % 2) * net.block * h, *most = top.data() + (size_t)l * h;
                product<T, BIAS_RELU_NAN>(in, m, K, p + net.off[2 * l], h, p + net.off[2 * l + 1], nullptr, a);
                for (int r = 0; r < m; r++)
                    for (int c = 0; c < h; c += L) {  // NaN compares false: skipped
                        vec<T> v = load(a + (size_t)r * h + c), so_far = load(most + c);
                        store(most + c, v > so_far ? v : so_far);
                    }
                in = a;
                K = h;
            }
        }
        for (size_t i = 0; i < top.size(); i++) out[(size_t)t * depth * h + i] = top[i] > 0;
    }
}

// ctypes entry points; they return 0, or -1 if memory ran out.
#define ENTRY(call)                                                                                                     \
    try {                                                                                                              \
        call;                                                                                                          \
        return 0;                                                                                                      \
    } catch (const std::bad_alloc &) {                                                                                 \
        return -1;                                                                                                     \
    }

extern "C" {
int train_float32(int trials, int depth, int d, int h, int n, const float *x, const float *y, const float *mask,
                  int mask_stride, float *params, float *ag, float *ad, long parameters, int steps, double lr, double rho,
                  double eps, double scale, int block) {
    ENTRY(train<float>(trials, depth, d, h, n, x, y, mask, mask_stride, params, ag, ad, parameters, steps, lr, rho, eps,
                       scale, block))
}
int train_float64(int trials, int depth, int d, int h, int n, const double *x, const double *y, const double *mask,
                  int mask_stride, double *params, double *ag, double *ad, long parameters, int steps, double lr,
                  double rho, double eps, double scale, int block) {
    ENTRY(train<double>(trials, depth, d, h, n, x, y, mask, mask_stride, params, ag, ad, parameters, steps, lr, rho, eps,
                        scale, block))
}
int train_batches_float32(int trials, int depth, int d, int h, int n, const float *x, const float *y, const int *batches,
                          int steps, int width, const float *masks, int per_epoch, int mask_stride, float *params,
                          float *ag, float *ad, long parameters, double lr, double rho, double eps, double scale,
                          int block) {
    ENTRY(train_batches<float>(trials, depth, d, h, n, x, y, batches, steps, width, masks, per_epoch, mask_stride, params,
                               ag, ad, parameters, lr, rho, eps, scale, block))
}
int train_batches_float64(int trials, int depth, int d, int h, int n, const double *x, const double *y,
                          const int *batches, int steps, int width, const double *masks, int per_epoch, int mask_stride,
                          double *params, double *ag, double *ad, long parameters, double lr, double rho, double eps,
                          double scale, int block) {
    ENTRY(train_batches<double>(trials, depth, d, h, n, x, y, batches, steps, width, masks, per_epoch, mask_stride,
                                params, ag, ad, parameters, lr, rho, eps, scale, block))
}
int adadelta_float32(float *w, float *ag, float *ad, const float *g, long m, double lr, double rho, double eps,
                     double scale) {
    ENTRY(adadelta<float>(w, ag, ad, g, (size_t)m, lr, rho, eps, scale))
}
int adadelta_float64(double *w, double *ag, double *ad, const double *g, long m, double lr, double rho, double eps,
                     double scale) {
    ENTRY(adadelta<double>(w, ag, ad, g, (size_t)m, lr, rho, eps, scale))
}
int alive_float32(int trials, int depth, int d, int h, int n, const float *x, const float *params, long parameters,
                  unsigned char *out, int block) {
    ENTRY(alive<float>(trials, depth, d, h, n, x, params, parameters, out, block))
}
int alive_float64(int trials, int depth, int d, int h, int n, const double *x, const double *params, long parameters,
                  unsigned char *out, int block) {
    ENTRY(alive<double>(trials, depth, d, h, n, x, params, parameters, out, block))
}
// The compiler and flags that built this library (jobs record it).
#ifndef EMPIRICAL_SIZE_BUILD
#define EMPIRICAL_SIZE_BUILD "unknown"
#endif
const char *built_with() { return EMPIRICAL_SIZE_BUILD; }
// The layout this build chose (jobs record it).
const char *target() { return ES_TARGET; }
int tile_rows() { return ES_TILE_ROWS; }
int tile_vectors() { return ES_TILE_VECTORS; }
int vector_lanes_float32() { return lanes<float>; }
int vector_lanes_float64() { return lanes<double>; }
}
