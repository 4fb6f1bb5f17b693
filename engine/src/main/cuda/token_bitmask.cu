// Structured outputs on the GPU: the allowed-token bitmask of each constrained row applied to its
// logits before sample_rows (sampling.cu), so penalties, top-k/top-p/min-p and the draw only ever see
// allowed tokens (a penalty on -inf stays -inf). NVRTC-compatible: no host headers.
//
// Kernel (extern "C"):
//   apply_token_bitmask(float* logits, int vocab, const unsigned* bitmask, int wordsPerRow,
//                       const int* maskRow)
//   grid (ceil(vocab / TOKEN_BITMASK_THREADS), numRows), block (TOKEN_BITMASK_THREADS = 256).
//   - logits   fp32 [numRows, vocab]; disallowed entries are set to -inf in place.
//   - bitmask  uint32 [numMasks, wordsPerRow]: token id is allowed iff bit (id % 32) of word (id / 32)
//              is set (dev.minitron.engine.structured.TokenMask.packInto writes this layout; it is
//              xgrammar's too). Ids at or past 32 * wordsPerRow are disallowed.
//   - maskRow  int [numRows]: which bitmask row applies to logits row r; -1 leaves the row untouched
//              (an unconstrained request in the same step pays one load per block).
// Status: compiled by the build; checked on a GPU by engine/src/test/cuda/token_bitmask_test.cu.
// The engine does not launch it yet: a step with a constrained row samples on the host
// (EngineCore.anyConstrained) until a GPU run has checked this path end to end.

#define TOKEN_BITMASK_THREADS 256

extern "C" __global__ void __launch_bounds__(TOKEN_BITMASK_THREADS)
apply_token_bitmask(float* __restrict__ logits, int vocab, const unsigned* __restrict__ bitmask, int wordsPerRow,
                    const int* __restrict__ maskRow) {
    const int row = blockIdx.y;
    const int m = maskRow[row];
    if (m < 0) {
        return;
    }
    const int id = blockIdx.x * TOKEN_BITMASK_THREADS + threadIdx.x;
    if (id >= vocab) {
        return;
    }
    const int word = id >> 5;
    const unsigned bits = word < wordsPerRow ? bitmask[(size_t)m * wordsPerRow + word] : 0u;
    if (((bits >> (id & 31)) & 1u) == 0u) {
        logits[(size_t)row * vocab + id] = -__int_as_float(0x7f800000);
    }
}
