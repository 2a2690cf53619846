package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Secret}: redacted {@code toString}, copies out, wiping on destroy and refusal afterwards, and {@code matches}. */
class SecretTest {
    private static final String VALUE = "rk_s3cr3t-Value";

    @Test
    void toStringIsRedacted() {
        Secret s = Secret.of(VALUE);
        assertThat(s.toString()).isEqualTo("Secret[redacted]").doesNotContain(VALUE).doesNotContain("s3cr3t");
        assertThat(String.valueOf(s)).doesNotContain(VALUE);
        assertThat("key=" + s).doesNotContain(VALUE);
        s.destroy();
        assertThat(s.toString()).isEqualTo("Secret[redacted]");
    }

    @Test
    void revealsItsValueWhileAlive() {
        try (Secret s = Secret.of(VALUE)) {
            assertThat(s.reveal()).isEqualTo(VALUE);
            assertThat(s.chars()).containsExactly(VALUE.toCharArray());
            assertThat(s.utf8()).isEqualTo(VALUE.getBytes(StandardCharsets.UTF_8));
            assertThat(s.length()).isEqualTo(VALUE.length());
            assertThat(s.isDestroyed()).isFalse();
        }
    }

    @Test
    void encodesNonAsciiAsUtf8() {
        Secret s = Secret.of("pässwörd€");
        assertThat(s.utf8()).isEqualTo("pässwörd€".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void charsAndUtf8AreCopies() {
        Secret s = Secret.of(VALUE);
        char[] chars = s.chars();
        chars[0] = 'X';
        byte[] bytes = s.utf8();
        bytes[0] = 'Y';
        assertThat(s.reveal()).isEqualTo(VALUE);
    }

    @Test
    void destroyWipesTheWrappedArray() {
        char[] owned = VALUE.toCharArray();
        Secret s = Secret.wrap(owned);

        s.destroy();

        assertThat(s.isDestroyed()).isTrue();
        assertThat(owned).containsOnly('\0');
    }

    @Test
    void closeDestroys() {
        char[] owned = VALUE.toCharArray();
        try (Secret s = Secret.wrap(owned)) {
            assertThat(s.matches(VALUE)).isTrue();
        }
        assertThat(owned).containsOnly('\0');
    }

    @Test
    void useAfterDestroyThrows() {
        Secret s = Secret.of(VALUE);
        s.destroy();

        assertThatThrownBy(s::reveal).isInstanceOf(IllegalStateException.class).hasMessageContaining("destroyed");
        assertThatThrownBy(s::chars).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(s::utf8).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.matches(VALUE)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.matches("")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void destroyingTwiceIsHarmless() {
        Secret s = Secret.of(VALUE);
        s.destroy();
        s.close();
        assertThat(s.isDestroyed()).isTrue();
    }

    @Test
    void matchesOnlyTheSameCharacters() {
        Secret s = Secret.of("abc123");

        assertThat(s.matches("abc123")).isTrue();
        assertThat(s.matches(new StringBuilder("abc123"))).isTrue();
        assertThat(s.matches("abc124")).isFalse();
        assertThat(s.matches("Abc123")).isFalse();
        assertThat(s.matches("abc12")).isFalse();
        assertThat(s.matches("abc1234")).isFalse();
        assertThat(s.matches("abc123\0")).isFalse();
        assertThat(s.matches("")).isFalse();
        assertThat(s.matches("xyz")).isFalse();
    }

    @Test
    void anEmptySecretMatchesOnlyEmpty() {
        Secret empty = Secret.of("");
        assertThat(empty.matches("")).isTrue();
        assertThat(empty.matches("a")).isFalse();
        assertThat(empty.matches("\0")).isFalse();
    }

    @Test
    void aPrefixWhoseLengthDiffersByAPowerOfTwoDoesNotMatch() {
        // Lengths 4 and 12 differ in one bit; the characters agree on the common prefix.
        assertThat(Secret.of("abcd").matches("abcdabcdabcd")).isFalse();
        assertThat(Secret.of("abcdabcdabcd").matches("abcd")).isFalse();
    }
}
