// The CPU kernel as a program, for a build that this process cannot load
// (another CPU's, run under emulation by tests/test_cpu_kernel.py).
//   kernel_driver lanes          prints the float64 lanes and the target
//   kernel_driver IN OUT         full-batch float64 training, no mask:
// IN holds int32 trials, depth, inputs, width, n, steps, parameters, then
// float64 lr, rho, eps, x (trials n inputs), y (trials n), and params,
// grad_acc, delta_acc (trials parameters each); OUT gets the last three
// after training.
#include "../../src/empirical_size/cpu_kernel.cpp"

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
    if (argc == 2) {
        std::printf("%d %s\n", vector_lanes_float64(), target());
        return 0;
    }
    if (argc != 3) return 2;
    FILE *in = std::fopen(argv[1], "rb");
    if (!in) return 3;
    int h[7];
    double s[3];
    if (std::fread(h, sizeof(int), 7, in) != 7 || std::fread(s, sizeof(double), 3, in) != 3) return 4;
    const int trials = h[0], depth = h[1], inputs = h[2], width = h[3], n = h[4], steps = h[5], parameters = h[6];
    std::vector<double> x((size_t)trials * n * inputs), y((size_t)trials * n), state(3 * (size_t)trials * parameters);
    for (auto *v : {&x, &y, &state})
        if (std::fread(v->data(), sizeof(double), v->size(), in) != v->size()) return 5;
    std::fclose(in);
    double *params = state.data(), *ag = params + (size_t)trials * parameters, *ad = ag + (size_t)trials * parameters;
    if (train_float64(trials, depth, inputs, width, n, x.data(), y.data(), nullptr, 0, params, ag, ad, parameters, steps,
                      s[0], s[1], s[2], 512))
        return 6;
    FILE *out = std::fopen(argv[2], "wb");
    if (!out || std::fwrite(state.data(), sizeof(double), state.size(), out) != state.size()) return 7;
    return std::fclose(out) ? 7 : 0;
}
