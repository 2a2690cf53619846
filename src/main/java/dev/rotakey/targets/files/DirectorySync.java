package dev.rotakey.targets.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes renames and deletions in a directory durable with as few directory fsyncs as the callers allow: a caller whose
 * change happened before an fsync of its directory started is covered by that fsync, so of many deliveries into one
 * directory at once (a mass rotation of API keys) one fsync serves all that arrived while the previous one ran.
 * Different directories are synced independently, in parallel. A caller alone syncs at once.
 */
final class DirectorySync {
    /** The one every local-files target shares: two targets may write in one directory. */
    static final DirectorySync DEFAULT = new DirectorySync(dir -> {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    });

    /** Makes a directory's entries durable. */
    @FunctionalInterface
    interface Fsync {
        void force(Path dir) throws IOException;
    }

    private final ConcurrentHashMap<Path, Round> rounds = new ConcurrentHashMap<>();
    private final Fsync fsync;

    DirectorySync(Fsync fsync) {
        this.fsync = fsync;
    }

    /** Returns once a directory fsync that started after this call has completed. */
    void sync(Path dir) throws IOException {
        Round round = rounds.computeIfAbsent(dir, Round::new);
        round.sync();
    }

    /** Callers waiting for the next fsync of {@code dir} (for tests). */
    int waiting(Path dir) {
        Round round = rounds.get(dir);
        if (round == null) {
            return 0;
        }
        synchronized (round) {
            return round.next.members;
        }
    }

    /**
     * The fsyncs of one directory. Callers join the pass that has not started yet; when no fsync runs, one of them
     * runs it for all, and each learns its own pass's outcome.
     */
    private final class Round {
        private final Path dir;
        private Pass next = new Pass();
        private boolean syncing;

        Round(Path dir) {
            this.dir = dir;
        }

        void sync() throws IOException {
            Pass mine;
            boolean interrupted = false;
            synchronized (this) {
                mine = next;
                mine.members++;
                while (syncing && !mine.done) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (!mine.done) {
                    syncing = true;
                    next = new Pass();
                }
            }
            if (!mine.done) {
                IOException failed = null;
                try {
                    fsync.force(dir);
                } catch (IOException e) {
                    failed = e;
                }
                synchronized (this) {
                    mine.failure = failed;
                    mine.done = true;
                    syncing = false;
                    notifyAll();
                    if (next.members == 0) {
                        // Idle: forget the directory (a caller holding this round meanwhile simply syncs it itself).
                        rounds.remove(dir, this);
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (mine.failure != null) {
                // Every caller of a failed pass fails: its change may not be durable.
                throw new IOException("fsync of directory " + dir + " failed: " + mine.failure.getMessage(), mine.failure);
            }
        }
    }

    /** One fsync and the callers it covers. */
    private static final class Pass {
        private int members;
        private boolean done;
        private IOException failure;
    }
}
