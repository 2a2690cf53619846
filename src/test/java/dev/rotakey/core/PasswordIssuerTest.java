package dev.rotakey.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PasswordIssuerTest {

    /** Hands out the given bytes in order, however many are asked for at a time. */
    private static java.util.function.IntFunction<byte[]> bytes(int... values) {
        Deque<Integer> queue = new ArrayDeque<>();
        for (int v : values) {
            queue.add(v);
        }
        return n -> {
            byte[] out = new byte[Math.min(n, queue.size())];
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (int) queue.poll();
            }
            return out;
        };
    }

    @Test
    void everyByteValueOnceGivesEveryCharacterEquallyOftenAndRejectsTheBiasedTail() {
        String alphabet = "0123456789";
        int[] all = new int[256];
        for (int i = 0; i < 256; i++) {
            all[i] = i;
        }
        // 256 = 25 * 10 + 6: bytes 250..255 would favour 0..5 and must be rejected.
        char[] out = new char[250];
        PasswordIssuer.fill(bytes(all), out, alphabet);
        Map<Character, Integer> counts = new HashMap<>();
        for (char c : out) {
            counts.merge(c, 1, Integer::sum);
        }
        assertThat(counts).hasSize(10).allSatisfy((c, n) -> assertThat(n).isEqualTo(25));
    }

    @Test
    void rejectedBytesAreSkippedNotWrappedAround() {
        char[] out = new char[3];
        PasswordIssuer.fill(bytes(255, 250, 3, 251, 14, 249), out, "0123456789");
        assertThat(new String(out)).isEqualTo("349");
    }

    @Test
    void policyRefusesShortLongAndRepeatingAlphabets() {
        assertThat(PasswordPolicy.alphabetProblem("abcdefghi")).contains("at least 10");
        assertThat(PasswordPolicy.alphabetProblem("abcdefghija")).contains("repeat");
        assertThat(PasswordPolicy.alphabetProblem("abcdefghij k")).contains("printable ASCII");
        assertThat(PasswordPolicy.alphabetProblem("abcdefghijé")).contains("printable ASCII");
        assertThat(PasswordPolicy.alphabetProblem(PasswordPolicy.DEFAULT_ALPHABET)).isNull();
        assertThatThrownBy(() -> new PasswordPolicy(15, PasswordPolicy.DEFAULT_ALPHABET))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PasswordPolicy(129, PasswordPolicy.DEFAULT_ALPHABET))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(PasswordPolicy.defaults().alphabetWithout(Set.of('-', '_', '.', '~')))
                .hasSize(62).doesNotContain("-", "_", ".", "~");
    }
}
