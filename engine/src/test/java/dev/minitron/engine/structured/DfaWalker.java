package dev.minitron.engine.structured;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Random strings of a DFA's language: a random walk that heads for an accepting state once long enough. */
final class DfaWalker {

    private final ByteDfa dfa;
    private final int[] distance;   // bytes to the nearest accepting state

    DfaWalker(ByteDfa dfa) {
        this.dfa = dfa;
        int n = dfa.numStates();
        distance = new int[n];
        Arrays.fill(distance, Integer.MAX_VALUE);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0; s < n; s++) {
            if (dfa.isAccepting(s)) {
                distance[s] = 0;
                queue.add(s);
            }
        }
        while (!queue.isEmpty()) {   // few states in tests: the quadratic reverse search is fine
            int t = queue.poll();
            for (int s = 0; s < n; s++) {
                if (distance[s] != Integer.MAX_VALUE) {
                    continue;
                }
                for (int b = 0; b < 256; b++) {
                    if (dfa.next(s, b) == t) {
                        distance[s] = distance[t] + 1;
                        queue.add(s);
                        break;
                    }
                }
            }
        }
    }

    byte[] walk(SplittableRandom rng, int softLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int s = dfa.start();
        while (true) {
            if (dfa.isAccepting(s) && (rng.nextInt(8) == 0 || out.size() >= softLength)) {
                return out.toByteArray();
            }
            int[] options = new int[256];
            int n = 0;
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(s, b);
                if (t >= 0 && (out.size() < softLength || distance[t] < distance[s])) {
                    options[n++] = b;
                }
            }
            if (n == 0) {
                return out.toByteArray();
            }
            int b = options[rng.nextInt(n)];
            out.write(b);
            s = dfa.next(s, b);
        }
    }
}
