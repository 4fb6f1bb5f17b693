package dev.minitron.worker.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The callers a gateway admits: API keys, each mapped to the tenant it speaks for. Keys come from a
 * Kubernetes Secret, mounted as a directory (one file per tenant, named after it, holding that
 * tenant's keys one per line) or given inline as {@code tenant=key,tenant2=key2} (an environment
 * variable from a {@code secretKeyRef}). Only SHA-256 digests are kept, and a presented key is
 * compared with every digest by {@link MessageDigest#isEqual} without stopping at a match: how
 * long a check takes says nothing about which key, or how much of one, was right.
 */
public final class ApiKeys {

    private record Entry(byte[] digest, String tenant) {
    }

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static ApiKeys load(Optional<String> inline, Optional<Path> dir) {
        List<Entry> entries = new ArrayList<>();
        inline.ifPresent(spec -> {
            for (String pair : spec.split(",")) {
                String p = pair.strip();
                int eq = p.indexOf('=');
                if (eq <= 0 || eq == p.length() - 1) {
                    throw new IllegalStateException("minitron.gateway.api-keys: each entry must be tenant=key"
                            + " (an entry without '=' or with an empty side was found)");
                }
                entries.add(entry(p.substring(eq + 1).strip(), p.substring(0, eq).strip()));
            }
        });
        dir.ifPresent(d -> {
            if (!Files.isDirectory(d)) {
                throw new IllegalStateException("minitron.gateway.api-keys-dir " + d + " is not a directory");
            }
            try (Stream<Path> files = Files.list(d)) {
                for (Path f : files.sorted().toList()) {
                    String tenant = f.getFileName().toString();
                    if (tenant.startsWith(".") || !Files.isRegularFile(f)) {
                        continue;   // a mounted Secret's ..data links and timestamped directories
                    }
                    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        if (!line.isBlank()) {
                            entries.add(entry(line.strip(), tenant));
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("minitron.gateway.api-keys-dir " + d + ": " + e.getMessage(), e);
            }
        });
        return new ApiKeys(entries);
    }

    private static Entry entry(String key, String tenant) {
        if (tenant.isEmpty() || tenant.length() > 64 || !tenant.chars().allMatch(ApiKeys::tenantChar)) {
            throw new IllegalStateException("API keys: tenant names are 1 to 64 of [A-Za-z0-9._-]");
        }
        return new Entry(digest(key), tenant);
    }

    private static boolean tenantChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                || c == '-';
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    /** The tenant of {@code key}, or empty when it is not one of the keys. */
    public Optional<String> tenantOf(String key) {
        byte[] presented = digest(key);
        String tenant = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(presented, e.digest()) & tenant == null) {
                tenant = e.tenant();
            }
        }
        return Optional.ofNullable(tenant);
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
