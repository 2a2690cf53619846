package dev.rotakey.db;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every INSERT in Rotakey's sources names its columns: a newer release may add columns (nullable or with a
 * default) while older nodes still run, and an INSERT that relied on the column order would then break them
 * (docs/operations.md, "Rolling upgrades").
 */
class InsertColumnsTest {
    private static final Pattern INSERT = Pattern.compile(
            "(?i)\\bINSERT\\s+INTO\\s+([A-Za-z_][A-Za-z0-9_]*)(?:\\s+AS\\s+[A-Za-z_][A-Za-z0-9_]*)?\\s*(.)");

    @Test
    void everyInsertNamesItsColumns() throws IOException {
        List<String> inserts = new ArrayList<>();
        List<String> unnamed = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = INSERT.matcher(Files.readString(file));
                while (m.find()) {
                    inserts.add(file.getFileName() + ": " + m.group(1));
                    if (!m.group(2).equals("(")) {
                        unnamed.add(file.getFileName() + ": INSERT INTO " + m.group(1) + " " + m.group(2) + "…");
                    }
                }
            }
        }
        assertThat(inserts).as("the scan finds the DAOs' inserts").hasSizeGreaterThan(10);
        assertThat(unnamed).as("INSERTs without a column list").isEmpty();
    }
}
