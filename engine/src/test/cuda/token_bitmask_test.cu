// On-GPU harness for apply_token_bitmask (token_bitmask.cu), then sample_rows (sampling.cu) on the
// masked rows: random masks (sparse, dense, a single token, rows without a mask) over a 256000 vocab,
// compared element for element with the CPU rule, and every sampled token of a masked row must be
// allowed. Prints PASS/FAIL lines; exit code = number of failures.
//   nvcc -O2 -std=c++17 -arch=sm_90 -I engine/src/main/cuda engine/src/test/cuda/token_bitmask_test.cu -o /tmp/token_bitmask_test
#include "token_bitmask.cu"
#include "sampling.cu"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
    printf("FAIL cuda %s at %s:%d: %s\n", #x, __FILE__, __LINE__, cudaGetErrorString(e_)); exit(99); } } while (0)

int main() {
    const int vocab = 256000, rows = 8, words = (vocab + 31) / 32;
    std::mt19937_64 rng(18);
    std::vector<float> logits((size_t)rows * vocab);
    std::normal_distribution<float> normal(0.f, 2.f);
    for (auto& v : logits) v = normal(rng);
    // masks: 0 dense (90%), 1 sparse (0.1%), 2 a single token, 3 none allowed but EOS-like id 2
    const int numMasks = 4;
    std::vector<unsigned> masks((size_t)numMasks * words, 0u);
    std::uniform_real_distribution<double> u(0, 1);
    for (int id = 0; id < vocab; id++) {
        if (u(rng) < 0.9) masks[0 * words + id / 32] |= 1u << (id % 32);
        if (u(rng) < 0.001) masks[1 * words + id / 32] |= 1u << (id % 32);
    }
    masks[2 * words + 123456 / 32] |= 1u << (123456 % 32);
    masks[3 * words + 0] |= 1u << 2;
    std::vector<int> maskRow = {0, 1, 2, 3, -1, 0, 1, -1};

    float *dLogits; unsigned *dMasks; int *dMaskRow;
    CHECK(cudaMalloc(&dLogits, logits.size() * 4));
    CHECK(cudaMalloc(&dMasks, masks.size() * 4));
    CHECK(cudaMalloc(&dMaskRow, rows * 4));
    CHECK(cudaMemcpy(dLogits, logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dMasks, masks.data(), masks.size() * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dMaskRow, maskRow.data(), rows * 4, cudaMemcpyHostToDevice));
    dim3 grid((vocab + TOKEN_BITMASK_THREADS - 1) / TOKEN_BITMASK_THREADS, rows);
    apply_token_bitmask<<<grid, TOKEN_BITMASK_THREADS>>>(dLogits, vocab, dMasks, words, dMaskRow);
    CHECK(cudaGetLastError());
    std::vector<float> got(logits.size());
    CHECK(cudaMemcpy(got.data(), dLogits, got.size() * 4, cudaMemcpyDeviceToHost));
    int failures = 0;
    for (int r = 0; r < rows; r++) {
        long bad = 0;
        for (int id = 0; id < vocab; id++) {
            bool allowed = maskRow[r] < 0 || ((masks[(size_t)maskRow[r] * words + id / 32] >> (id % 32)) & 1u);
            float want = allowed ? logits[(size_t)r * vocab + id] : -INFINITY;
            float have = got[(size_t)r * vocab + id];
            if (memcmp(&want, &have, 4) != 0) bad++;
        }
        printf("%s mask row %d (mask %d): %ld mismatches\n", bad ? "FAIL" : "PASS", r, maskRow[r], bad);
        failures += bad != 0;
    }

    // the sampler on masked rows: temperature 1, no filters, then top-k 50; every token allowed
    std::vector<SampleRowParams> params(rows);
    for (int trial = 0; trial < 2; trial++) {
        memset(params.data(), 0, params.size() * sizeof(SampleRowParams));
        for (int r = 0; r < rows; r++) {
            params[r].temperature = 1.0f;
            params[r].topP = 1.0f;
            params[r].topK = trial == 0 ? 0 : 50;
            params[r].uniform = (float) u(rng);
            params[r].numLogprobs = -1;
        }
        SampleRowParams* dParams; int* dOut; int* dPen; float* dPenRaw;
        CHECK(cudaMalloc(&dParams, params.size() * sizeof(SampleRowParams)));
        CHECK(cudaMalloc(&dOut, rows * SAMPLE_OUT_STRIDE * 4));
        CHECK(cudaMalloc(&dPen, 8));
        CHECK(cudaMalloc(&dPenRaw, 8));
        CHECK(cudaMemcpy(dParams, params.data(), params.size() * sizeof(SampleRowParams), cudaMemcpyHostToDevice));
        CHECK(cudaMemcpy(dLogits, got.data(), got.size() * 4, cudaMemcpyHostToDevice));
        sample_rows<<<rows, SAMPLE_THREADS>>>(dLogits, vocab, dParams, dPen, dPenRaw, dOut);
        CHECK(cudaGetLastError());
        std::vector<int> out(rows * SAMPLE_OUT_STRIDE);
        CHECK(cudaMemcpy(out.data(), dOut, out.size() * 4, cudaMemcpyDeviceToHost));
        for (int r = 0; r < rows; r++) {
            int token = out[r * SAMPLE_OUT_STRIDE];
            bool allowed = token >= 0 && token < vocab
                    && (maskRow[r] < 0 || ((masks[(size_t)maskRow[r] * words + token / 32] >> (token % 32)) & 1u));
            printf("%s sample_rows after the mask, trial %d row %d: token %d %s\n", allowed ? "PASS" : "FAIL",
                   trial, r, token, allowed ? "allowed" : "NOT allowed");
            failures += !allowed;
        }
        cudaFree(dParams); cudaFree(dOut); cudaFree(dPen); cudaFree(dPenRaw);
    }
    printf("%s token_bitmask: %d failures\n", failures ? "FAIL" : "PASS", failures);
    return failures;
}
