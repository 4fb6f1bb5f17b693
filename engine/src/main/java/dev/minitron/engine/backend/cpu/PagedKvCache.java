package dev.minitron.engine.backend.cpu;

/**
 * The paged KV cache on the heap. Token slot {@code s = block · blockSize + offset} of layer l
 * holds its keys (after RoPE) at {@code keys[l][s · kvSize, (s + 1) · kvSize)}, i.e. each layer is
 * {@code [numBlocks, blockSize, kvHeads, headDim]}; values likewise.
 */
final class PagedKvCache {

    private final float[][] keys;   // [layers][numBlocks * blockSize * kvHeads * headDim]
    private final float[][] values; // [layers][numBlocks * blockSize * kvHeads * headDim]
    private final int numBlocks;
    private final int blockSize;
    private final int kvSize;

    PagedKvCache(int layers, int numBlocks, int blockSize, int kvSize) {
        if (numBlocks <= 0 || blockSize <= 0) {
            throw new IllegalArgumentException("numBlocks and blockSize must be positive, got " + numBlocks + ", " + blockSize);
        }
        long perLayer = (long) numBlocks * blockSize * kvSize;
        if (perLayer > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(numBlocks + " blocks of " + blockSize + " tokens need " + perLayer
                    + " floats per layer, more than a Java array holds; use fewer blocks");
        }
        this.keys = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.kvSize = kvSize;
    }

    int numBlocks() {
        return numBlocks;
    }

    int blockSize() {
        return blockSize;
    }

    int numSlots() {
        return numBlocks * blockSize;
    }

    /** The slot holding {@code position} of a sequence whose blocks are {@code blockTable}. */
    int slot(int[] blockTable, int position) {
        return blockTable[position / blockSize] * blockSize + position % blockSize;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** Stores the new tokens' k and v ({@code [n, kvSize]}) at their slots. */
    void write(int layer, float[] k, float[] v, int[] slotMapping) {
        for (int t = 0; t < slotMapping.length; t++) {
            System.arraycopy(k, t * kvSize, keys[layer], slotMapping[t] * kvSize, kvSize);
            System.arraycopy(v, t * kvSize, values[layer], slotMapping[t] * kvSize, kvSize);
        }
    }
}
