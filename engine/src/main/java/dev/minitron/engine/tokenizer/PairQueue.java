package dev.minitron.engine.tokenizer;

import java.util.Arrays;

/**
 * The BPE agenda: candidate merges of two adjacent symbols, best first (highest score, then the
 * leftmost). A binary heap of entry numbers over parallel primitive arrays. Entries go stale as
 * their symbols merge elsewhere; the encoder recognises and drops those when they surface.
 */
final class PairQueue {

    private int[] left;    // [capacity] index of the left symbol
    private int[] right;   // [capacity] index of the right symbol
    private int[] length;  // [capacity] byte length of the merged piece
    private float[] score; // [capacity]
    private int entries;
    private int[] heap;    // [capacity] entry numbers, heap-ordered by better()
    private int heapSize;

    PairQueue(int capacity) {
        capacity = Math.max(16, capacity);
        left = new int[capacity];
        right = new int[capacity];
        length = new int[capacity];
        score = new float[capacity];
        heap = new int[capacity];
    }

    void push(int leftSymbol, int rightSymbol, float pieceScore, int pieceLength) {
        if (entries == left.length) {
            grow();
        }
        int e = entries++;
        left[e] = leftSymbol;
        right[e] = rightSymbol;
        score[e] = pieceScore;
        length[e] = pieceLength;
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!better(e, heap[parent])) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = e;
    }

    boolean isEmpty() {
        return heapSize == 0;
    }

    /** Removes the best entry and returns its number, for {@link #left}, {@link #right}, {@link #length}. */
    int pop() {
        int top = heap[0];
        int last = heap[--heapSize];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && better(heap[child + 1], heap[child])) {
                child++;
            }
            if (!better(heap[child], last)) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top;
    }

    int left(int entry) {
        return left[entry];
    }

    int right(int entry) {
        return right[entry];
    }

    int length(int entry) {
        return length[entry];
    }

    private boolean better(int a, int b) {
        return score[a] > score[b] || (score[a] == score[b] && left[a] < left[b]);
    }

    private void grow() {
        int capacity = left.length * 2;
        left = Arrays.copyOf(left, capacity);
        right = Arrays.copyOf(right, capacity);
        length = Arrays.copyOf(length, capacity);
        score = Arrays.copyOf(score, capacity);
        heap = Arrays.copyOf(heap, capacity);
    }
}
