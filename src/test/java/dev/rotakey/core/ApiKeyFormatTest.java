package dev.rotakey.core;

import dev.rotakey.core.ApiKeyFormat.Malformed;
import dev.rotakey.core.ApiKeyFormat.Problem;
import dev.rotakey.core.ApiKeyFormat.Result;
import dev.rotakey.core.ApiKeyFormat.Valid;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The API key format: round trips, constant length, typo detection, and the scanner regex. */
class ApiKeyFormatTest {
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final Pattern SCANNER = Pattern.compile(ApiKeyFormat.REGEX);

    /** A reproducible sample, including the extremes whose base62 needs the most and least padding. */
    private static List<byte[]> sample(int n) {
        Random random = new Random(20240601L);
        List<byte[]> out = new ArrayList<>();
        out.add(new byte[32]);
        byte[] max = new byte[32];
        Arrays.fill(max, (byte) 0xff);
        out.add(max);
        byte[] one = new byte[32];
        one[31] = 1;
        out.add(one);
        while (out.size() < n) {
            byte[] b = new byte[32];
            random.nextBytes(b);
            out.add(b);
        }
        return out;
    }

    private static Problem problem(String presented) {
        Result r = ApiKeyFormat.parse(presented);
        assertThat(r).isInstanceOf(Malformed.class);
        return ((Malformed) r).problem();
    }

    @Test
    void roundTrips() {
        for (byte[] random : sample(500)) {
            Result r = ApiKeyFormat.parse(ApiKeyFormat.format(random));
            assertThat(r.valid()).isTrue();
            assertThat(((Valid) r).random()).isEqualTo(random);
        }
    }

    @Test
    void everyKeyHasTheSameLengthAndShape() {
        for (byte[] random : sample(500)) {
            String key = ApiKeyFormat.format(random);
            assertThat(key).hasSize(ApiKeyFormat.LENGTH).startsWith("rk_");
            assertThat(key.substring(3)).matches("[0-9A-Za-z]+");
        }
        assertThat(ApiKeyFormat.LENGTH).isEqualTo(52);
        assertThat(ApiKeyFormat.format(new byte[32])).startsWith("rk_" + "0".repeat(43));
    }

    @Test
    void isDeterministicAndDistinct() {
        List<byte[]> sample = sample(200);
        assertThat(sample.stream().map(ApiKeyFormat::format).distinct()).hasSize(200);
        assertThat(ApiKeyFormat.format(sample.get(7))).isEqualTo(ApiKeyFormat.format(sample.get(7).clone()));
    }

    @Test
    void refusesAnythingButThirtyTwoBytes() {
        for (int n : new int[] {0, 16, 31, 33, 64}) {
            assertThatThrownBy(() -> ApiKeyFormat.format(new byte[n])).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> ApiKeyFormat.format(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void checksumCatchesEverySingleCharacterSubstitution() {
        for (byte[] random : sample(40)) {
            char[] key = ApiKeyFormat.format(random).toCharArray();
            for (int pos = 3; pos < key.length; pos++) {
                char original = key[pos];
                for (char c : ALPHABET.toCharArray()) {
                    if (c == original) {
                        continue;
                    }
                    key[pos] = c;
                    assertThat(problem(new String(key))).isIn(Problem.CHECKSUM_MISMATCH, Problem.OUT_OF_RANGE);
                }
                key[pos] = original;
            }
        }
    }

    @Test
    void checksumCatchesEveryAdjacentTransposition() {
        for (byte[] random : sample(200)) {
            String key = ApiKeyFormat.format(random);
            for (int i = 0; i + 1 < key.length(); i++) {
                if (key.charAt(i) == key.charAt(i + 1)) {
                    continue;
                }
                char[] swapped = key.toCharArray();
                swapped[i] = key.charAt(i + 1);
                swapped[i + 1] = key.charAt(i);
                assertThat(ApiKeyFormat.parse(new String(swapped)).valid()).as("swap at %d", i).isFalse();
            }
        }
    }

    @Test
    void saysWhyAStringIsNotAKey() {
        String key = ApiKeyFormat.format(sample(4).get(3));
        assertThat(problem("ghp_" + key.substring(3))).isEqualTo(Problem.WRONG_PREFIX);
        assertThat(problem("RK_" + key.substring(3))).isEqualTo(Problem.WRONG_PREFIX);
        assertThat(problem("")).isEqualTo(Problem.WRONG_PREFIX);
        assertThat(problem("rk")).isEqualTo(Problem.WRONG_PREFIX);
        assertThat(problem(key.substring(0, key.length() - 1))).isEqualTo(Problem.WRONG_LENGTH);
        assertThat(problem(key + "\n")).isEqualTo(Problem.WRONG_LENGTH);
        assertThat(problem(key.substring(0, 20) + "-" + key.substring(21))).isEqualTo(Problem.BAD_CHARACTERS);
        assertThat(problem(key.substring(0, 20) + "\u00e9" + key.substring(21))).isEqualTo(Problem.BAD_CHARACTERS);
        assertThat(problem(key.substring(0, 20) + "_" + key.substring(21))).isEqualTo(Problem.BAD_CHARACTERS);
    }

    @Test
    void refusesAWellCheckedBodyBeyondTwoHundredFiftySixBits() {
        // 43 'z' are 62^43 - 1 > 2^256: give it a correct checksum to reach the range check.
        String unchecked = "rk_" + "z".repeat(43);
        CRC32 crc = new CRC32();
        crc.update(unchecked.getBytes(StandardCharsets.US_ASCII));
        long v = crc.getValue();
        char[] sum = new char[6];
        for (int i = 5; i >= 0; i--) {
            sum[i] = ALPHABET.charAt((int) (v % 62));
            v /= 62;
        }
        assertThat(problem(unchecked + new String(sum))).isEqualTo(Problem.OUT_OF_RANGE);
    }

    @Test
    void neverEchoesThePresentedKey() {
        String key = ApiKeyFormat.format(sample(5).get(4));
        String mistyped = key.substring(0, 10) + (key.charAt(10) == 'a' ? 'b' : 'a') + key.substring(11);
        List<String> presented = List.of(key, mistyped, key + "x", "ghp_" + key.substring(3), key.replace(key.charAt(5), '-'));
        for (String p : presented) {
            Result r = ApiKeyFormat.parse(p);
            String body = p.substring(Math.min(3, p.length()), Math.min(20, p.length()));
            assertThat(r.toString()).doesNotContain(body);
            if (r instanceof Malformed m) {
                assertThat(m.message()).doesNotContain(body);
            }
        }
    }

    @Test
    void scannerRegexFindsEveryKey() {
        for (byte[] random : sample(500)) {
            String key = ApiKeyFormat.format(random);
            assertThat(SCANNER.matcher(key).matches()).isTrue();
            Matcher inText = SCANNER.matcher("export ROTAKEY_API_KEY=\"" + key + "\" # billing agent");
            assertThat(inText.find()).isTrue();
            assertThat(inText.group()).isEqualTo(key);
        }
    }

    @Test
    void scannerRegexIgnoresLookalikes() {
        String key = ApiKeyFormat.format(sample(2).get(1));
        assertThat(SCANNER.matcher(key.substring(0, key.length() - 1)).find()).isFalse();
        assertThat(SCANNER.matcher(key + "Z").find()).isFalse();
        assertThat(SCANNER.matcher("ghp_" + key.substring(3)).find()).isFalse();
        assertThat(SCANNER.matcher("xrk_" + key.substring(3)).find()).isFalse();
    }
}
