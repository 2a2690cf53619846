package dev.rotakey.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Named points in the rotation workflow where a crash test can freeze the daemon, so that it is
 * killed with SIGKILL at a known step (the pattern of FreeBSD fail(9), etcd's gofail, TiKV's fail-rs).
 * Inert unless the JVM is started with {@code -Drotakey.failpoints=point[@credentialPrefix],…}: then a
 * thread reaching an armed point for a matching credential appends {@code "<point> <credential>"} to
 * the file named by {@code -Drotakey.failpoints.announce} and blocks for good. Disarmed, each call is one
 * read of an empty map.
 */
public final class FailPoints {
    /** The system property that arms points: a comma-separated list of {@code point} or {@code point@credentialPrefix}. */
    public static final String PROPERTY = "rotakey.failpoints";
    /** The system property naming the file a frozen thread announces itself in. */
    public static final String ANNOUNCE_PROPERTY = "rotakey.failpoints.announce";

    /** Point name to the credential id prefixes it is armed for ("" arms it for every credential). */
    private static final Map<String, List<String>> ARMED = parse(System.getProperty(PROPERTY, ""));

    private FailPoints() {
    }

    /** Whether any point is armed (only in crash tests). */
    public static boolean armed() {
        return !ARMED.isEmpty();
    }

    /** Freezes the calling thread here if {@code point} is armed for {@code credentialId}. */
    public static void reach(String point, String credentialId) {
        if (ARMED.isEmpty()) {
            return;
        }
        List<String> prefixes = ARMED.get(point);
        if (prefixes == null || prefixes.stream().noneMatch(credentialId::startsWith)) {
            return;
        }
        announce(point + " " + credentialId + "\n");
        // Never returns: the test kills the process. A graceful stop's interrupts are ignored on purpose.
        while (true) {
            LockSupport.park(FailPoints.class);
        }
    }

    /** {@link #reach} after {@code item} unless it is the last of {@code items}: "between two targets". */
    public static <T> void between(String point, String credentialId, List<T> items, T item) {
        if (!ARMED.isEmpty() && items.indexOf(item) < items.size() - 1) {
            reach(point, credentialId);
        }
    }

    private static synchronized void announce(String line) {
        String file = System.getProperty(ANNOUNCE_PROPERTY);
        if (file == null) {
            return;
        }
        try (FileChannel out = FileChannel.open(Path.of(file), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            out.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot announce fail point in " + file, e);
        }
    }

    private static Map<String, List<String>> parse(String spec) {
        Map<String, List<String>> armed = new HashMap<>();
        for (String entry : spec.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int at = e.indexOf('@');
            String point = at < 0 ? e : e.substring(0, at);
            String prefix = at < 0 ? "" : e.substring(at + 1);
            armed.computeIfAbsent(point, k -> new ArrayList<>()).add(prefix);
        }
        return Map.copyOf(armed);
    }
}
