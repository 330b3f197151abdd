// Each part of one trial's step, timed on one core: the CPU kernel's
// forward products, kernel gradients and backward products of the hidden
// layers, the transposes and Adadelta, and the whole step (GFLOP/s at
// 6 x parameters x n a step). Depth 4, one input, blocks of 512 samples.
//
//   g++ -O3 -std=c++20 -fno-math-errno -ffp-contract=fast -march=native \
//       benchmarks/kernel_parts.cpp -o /tmp/kernel_parts
//   /tmp/kernel_parts WIDTH N REPS     # e.g. 128 64 2000; WIDTH a whole number of vectors (504, not 500)
#include "../src/empirical_size/engine/cpu_kernel.cpp"
#include <chrono>
#include <cstdio>
#include <random>
using F = float;
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
int main(int argc, char **argv) {
    int h = atoi(argv[1]), n = atoi(argv[2]), nb = std::min(n, 512), depth = 4, d = 1, reps = atoi(argv[3]);
    Net<F> net(depth, d, h, std::min(n, 512));
    std::mt19937 g(1); std::normal_distribution<F> N(0, 0.1);
    std::vector<F> params(net.parameters), ag(net.parameters), ad(net.parameters), x(n * d), y(n);
    for (auto &p : params) p = N(g); for (auto &p : x) p = N(g) * 10; for (auto &p : y) p = N(g);
    double flops = 6.0 * net.parameters * n;
    // whole step
    double t0 = now();
    for (int i = 0; i < reps; i++) net.step(x.data(), y.data(), nullptr, n, params.data(), ag.data(), ad.data(), 1.0, 0.95, 1e-8, 1.0);
    double step = (now() - t0) / reps;
    // parts
    F *p = params.data();
    t0 = now();
    for (int i = 0; i < reps; i++) adadelta<F>(p, ag.data(), ad.data(), net.grads.data(), net.parameters, 1.0, 0.95, 1e-8, 1.0);
    double ada = (now() - t0) / reps;
    t0 = now();
    for (int i = 0; i < reps; i++) for (int l = 1; l < depth; l++) { const F *w = p + net.off[2*l]; F *t = net.wt.data() + (size_t)(l-1)*h*h;
        transpose<F>(w, h, h, t); }
    double tr = (now() - t0) / reps;
    t0 = now();
    for (int i = 0; i < reps; i++) for (int l = 1; l < depth; l++) product<F, BIAS_RELU>(net.acts.data(), nb, h, p + net.off[2*l], h, p + net.off[2*l+1], nullptr, net.dz.data());
    double fw = (now() - t0) / reps;
    t0 = now();
    for (int i = 0; i < reps; i++) for (int l = 1; l < depth; l++) chunked_kernel_gradient<F>(net.acts.data(), nb, h, net.dz.data(), h, net.grads.data() + net.off[2*l], net.grads.data()+net.off[2*l+1]);
    double kg = (now() - t0) / reps;
    t0 = now();
    for (int i = 0; i < reps; i++) for (int l = 1; l < depth; l++) product<F, RELU_GATE>(net.dz.data(), nb, h, net.wt.data(), h, nullptr, net.acts.data(), net.dz2.data());
    double bw = (now() - t0) / reps;
    double hidden = 2.0 * nb * h * h * 3;  // flops of one hidden-layer product set
    printf("h %d n %d: step %.1f us (%.1f GFLOP/s); adadelta %.1f us, transpose %.1f us, fwd %.1f us (%.1f GF/s), grad %.1f us (%.1f), bwd %.1f us (%.1f)\n",
        h, n, step*1e6, flops/step/1e9, ada*1e6, tr*1e6, fw*1e6, hidden/fw/1e9, kg*1e6, hidden/kg/1e9, bw*1e6, hidden/bw/1e9);
}
