// test_util.cuh: host-side helpers shared by the kernel harnesses in engine/src/test/cuda/.
//
// The harnesses are plain CUDA C++ programs (no cuBLAS, no test framework) compiled on the GPU
// machine with  nvcc -O2 -std=c++17 -arch=sm_90 -I engine/src/main/cuda engine/src/test/cuda/X_test.cu
// Each #includes the kernel .cu it checks, runs it on fresh random data against a plain CPU
// reference, and prints one line per case:
//     PASS <kernel> <shape> max_abs_err=... max_rel_err=... max_ulp=...
//     FAIL <kernel> <shape> ... first bad index and values
// and exits with the number of failures (a CUDA error is reported as FAIL and ends the program,
// since it poisons the context). Output buffers are filled with NaN before every launch, so an
// element the kernel forgot to write shows up as a failure.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace tu {

inline int g_failures = 0;
inline int g_cases = 0;

#define TU_CHECK(call)                                                                           \
    do {                                                                                         \
        cudaError_t err_ = (call);                                                               \
        if (err_ != cudaSuccess) {                                                               \
            std::printf("FAIL cuda %s -> %s (%s) at %s:%d\n", #call, cudaGetErrorName(err_),     \
                        cudaGetErrorString(err_), __FILE__, __LINE__);                           \
            std::printf("SUMMARY %d cases, %d failures (stopped at a CUDA error)\n", tu::g_cases, \
                        tu::g_failures + 1);                                                     \
            std::fflush(stdout);                                                                 \
            std::exit(tu::g_failures + 1);                                                       \
        }                                                                                        \
    } while (0)

/** Launch check: configuration errors now, execution errors at the synchronize. */
#define TU_LAUNCHED()                            \
    do {                                         \
        TU_CHECK(cudaGetLastError());            \
        TU_CHECK(cudaDeviceSynchronize());       \
    } while (0)

// ---------------------------------------------------------------------------------------------
// dtypes on the host: bits, rounding (round to nearest even, like cpu DType.round), ulp distance

template <typename T> struct Dt;

template <> struct Dt<float> {
    static constexpr const char* name = "f32";
    static float to_f(float x) { return x; }
    static float from_f(float x) { return x; }
};

template <> struct Dt<__nv_bfloat16> {
    static constexpr const char* name = "bf16";
    static uint16_t bits(__nv_bfloat16 v) {
        uint16_t b;
        std::memcpy(&b, &v, 2);
        return b;
    }
    static __nv_bfloat16 of_bits(uint16_t b) {
        __nv_bfloat16 v;
        std::memcpy(&v, &b, 2);
        return v;
    }
    static float to_f(__nv_bfloat16 v) {
        uint32_t u = uint32_t(bits(v)) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    static __nv_bfloat16 from_f(float x) {  // the Java DType.round formula
        uint32_t u;
        std::memcpy(&u, &x, 4);
        if (std::isnan(x)) return of_bits(uint16_t(u >> 16) | 0x40);
        u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
        return of_bits(uint16_t(u >> 16));
    }
};

template <> struct Dt<__half> {
    static constexpr const char* name = "f16";
    static uint16_t bits(__half v) {
        uint16_t b;
        std::memcpy(&b, &v, 2);
        return b;
    }
    static float to_f(__half v) { return __half2float(v); }
    static __half from_f(float x) { return __float2half_rn(x); }
};

/** x rounded to T and back (identity for float). */
template <typename T> float round_to(float x) { return Dt<T>::to_f(Dt<T>::from_f(x)); }

/** Distance in units in the last place of T between two values of T (given as floats). */
template <typename T> long long ulp_distance(float a, float b) {
    if constexpr (sizeof(T) == 2) {
        auto ord = [](uint16_t u) -> long long { return (u & 0x8000) ? -(long long)(u & 0x7fff) : (long long)u; };
        long long d = ord(Dt<T>::bits(Dt<T>::from_f(a))) - ord(Dt<T>::bits(Dt<T>::from_f(b)));
        return d < 0 ? -d : d;
    } else {
        uint32_t ua, ub;
        std::memcpy(&ua, &a, 4);
        std::memcpy(&ub, &b, 4);
        auto ord = [](uint32_t u) -> long long { return (u & 0x80000000u) ? -(long long)(u & 0x7fffffffu) : (long long)u; };
        long long d = ord(ua) - ord(ub);
        return d < 0 ? -d : d;
    }
}

// ---------------------------------------------------------------------------------------------
// comparison

/** Running comparison of one case: got vs the exact reference ref (double). */
struct Compare {
    std::string kernel, shape;
    double max_abs = 0, max_rel = 0;
    long long max_ulp = 0;
    long long bad = 0, first_bad = -1, count = 0;
    double first_got = 0, first_want = 0;

    Compare(std::string k, std::string s) : kernel(std::move(k)), shape(std::move(s)) {}

    /**
     * Narrow dtypes (bf16/f16): got must be within 1 ulp of ref rounded to T, or within the fp32
     * tolerance below (values near zero).
     * f32: |got - ref| <= rtol * max(|ref|, atol_floor).
     */
    template <typename T> void add(long long i, float got, double ref, double rtol = 1e-5, double floor = 1.0) {
        ++count;
        bool ok;
        double err = std::fabs((double)got - ref);
        if (std::isnan(got) || std::isinf(got) != std::isinf(ref)) {
            ok = false;
            err = INFINITY;
        } else if constexpr (sizeof(T) == 2) {
            long long u = ulp_distance<T>(got, (float)ref);
            // rounding ref (double) to T in two steps can differ from one step only at exact ties;
            // the 1-ulp allowance covers it
            if (u > max_ulp) max_ulp = u;
            // or the fp32 computation is off by no more than fp32 rounding at the data's scale: near
            // zero (x − mean ≈ 0, cancellations) a bf16 ulp is far finer than that (seen on an H200:
            // got -8.94e-08, want -9.72e-08 in a LayerNorm row of unit-scale values)
            ok = u <= 1 || err <= rtol * std::fmax(std::fabs(ref), floor);
        } else {
            ok = err <= rtol * std::fmax(std::fabs(ref), floor);
            long long u = ulp_distance<float>(got, (float)ref);
            if (u > max_ulp) max_ulp = u;
        }
        if (err > max_abs) max_abs = err;
        double rel = err / std::fmax(std::fabs(ref), 1e-30);
        if (std::fabs(ref) > 1e-6 && rel > max_rel) max_rel = rel;
        if (!ok) {
            if (first_bad < 0) {
                first_bad = i;
                first_got = got;
                first_want = ref;
            }
            ++bad;
        }
    }

    /** An extra condition (e.g. "no stray writes"); msg describes it when it fails. */
    void require(bool cond, const char* msg) {
        ++count;
        if (!cond) {
            ++bad;
            std::printf("  (%s %s: %s)\n", kernel.c_str(), shape.c_str(), msg);
        }
    }

    /** Prints the PASS/FAIL line and counts the case. */
    bool report() {
        ++g_cases;
        if (bad == 0) {
            std::printf("PASS %s %s n_checked=%lld max_abs_err=%.3g max_rel_err=%.3g max_ulp=%lld\n", kernel.c_str(),
                        shape.c_str(), count, max_abs, max_rel, max_ulp);
        } else {
            ++g_failures;
            std::printf("FAIL %s %s bad=%lld/%lld max_abs_err=%.3g max_rel_err=%.3g max_ulp=%lld first_bad=[%lld] got=%.9g want=%.9g\n",
                        kernel.c_str(), shape.c_str(), bad, count, max_abs, max_rel, max_ulp, first_bad, first_got,
                        first_want);
        }
        std::fflush(stdout);
        return bad == 0;
    }
};

// ---------------------------------------------------------------------------------------------
// device buffers

template <typename T> struct DevBuf {
    T* p = nullptr;
    size_t n = 0;
    explicit DevBuf(size_t count) : n(count) { TU_CHECK(cudaMalloc(&p, (count ? count : 1) * sizeof(T))); }
    ~DevBuf() { cudaFree(p); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    void upload(const std::vector<T>& h) { TU_CHECK(cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice)); }
    std::vector<T> download() const {
        std::vector<T> h(n);
        TU_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
        return h;
    }
    /** All bytes 0xFF: a NaN in float, bf16 and f16 alike. */
    void poison() { TU_CHECK(cudaMemset(p, 0xFF, (n ? n : 1) * sizeof(T))); }
};

/** Host vector of T from floats (rounded). */
template <typename T> std::vector<T> to_dtype(const std::vector<float>& f) {
    std::vector<T> out(f.size());
    for (size_t i = 0; i < f.size(); ++i) out[i] = Dt<T>::from_f(f[i]);
    return out;
}

inline std::vector<float> random_floats(std::mt19937& rng, size_t n, float mean, float stddev) {
    std::normal_distribution<float> d(mean, stddev);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

inline bool is_nan_bits(const void* p, size_t bytes) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < bytes; ++i)
        if (b[i] != 0xFF) return false;
    return true;
}

inline int finish(const char* program) {
    std::printf("SUMMARY %s: %d cases, %d failures\n", program, g_cases, g_failures);
    return g_failures > 255 ? 255 : g_failures;  // an exit status is 8 bits
}

}  // namespace tu
