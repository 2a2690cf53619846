package dev.rotakey.targets.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link FreshWrites}: a file renamed into place after it was written is recognised as untouched (a rename changes the
 * change time), and anything done to it since, even an edit that keeps its size and modification time, is not.
 */
class FreshWritesTest {
    private static final byte[] CONTENT = "secret-one".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final FreshWrites fresh = new FreshWrites();

    private Path delivered() throws Exception {
        Path file = dir.resolve("key");
        Path temporary = BaseDirectory.writeTemporary(dir, file, CONTENT);
        fresh.wrote(file, temporary, CONTENT);
        BaseDirectory.rename(temporary, file);
        fresh.renamed(file);
        return file;
    }

    @Test
    void aFileRenamedIntoPlaceIsUntouchedOnlyForItsOwnContentAndOnlyOnce() throws Exception {
        Path file = delivered();
        assertThat(fresh.untouched(file, "secret-two".getBytes(StandardCharsets.UTF_8))).isFalse();

        Path again = delivered();
        assertThat(fresh.untouched(again, CONTENT.clone())).isTrue();
        assertThat(fresh.untouched(again, CONTENT.clone())).as("forgotten once asked").isFalse();
    }

    @Test
    void anEditThatRestoresTheSizeAndModificationTimeIsSeen() throws Exception {
        Path file = delivered();
        FileTime modified = Files.getLastModifiedTime(file);
        // The kernel stamps files from a coarse clock (a few ms): the edit must come at a later tick to show at all.
        Object changed = Files.getAttribute(file, "unix:ctime");
        Path probe = dir.resolve("probe");
        await().pollInterval(Duration.ofMillis(1)).until(() -> {
            Files.write(probe, CONTENT);
            return !Files.getAttribute(probe, "unix:ctime").equals(changed);
        });
        Files.write(file, "secret-two".getBytes(StandardCharsets.UTF_8));
        Files.setLastModifiedTime(file, modified);

        assertThat(fresh.untouched(file, CONTENT.clone())).isFalse();
    }

    @Test
    void aFileReplacedBetweenTheWriteAndTheRenameRecordIsNotTakenForTheWrittenOne() throws Exception {
        Path file = dir.resolve("key");
        Path temporary = BaseDirectory.writeTemporary(dir, file, CONTENT);
        fresh.wrote(file, temporary, CONTENT);
        BaseDirectory.rename(temporary, file);
        Path other = BaseDirectory.writeTemporary(dir, file, "secret-two".getBytes(StandardCharsets.UTF_8));
        BaseDirectory.rename(other, file);
        fresh.renamed(file);

        assertThat(fresh.untouched(file, CONTENT.clone())).isFalse();
    }
}
