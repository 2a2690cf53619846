package dev.rotakey.core;

import java.util.Set;

/**
 * How the passwords of a {@code password} credential are generated: their length and the printable
 * ASCII characters they are drawn from, before any target's refused characters are taken out.
 */
public record PasswordPolicy(int length, String alphabet) {
    public static final int DEFAULT_LENGTH = 32;
    public static final int MIN_LENGTH = 16;
    public static final int MAX_LENGTH = 128;
    /** Fewer characters than this make each character carry too little entropy to be worth a password. */
    public static final int MIN_ALPHABET = 10;
    /** Letters, digits and RFC 3986's unreserved punctuation: safe in URLs, shells and config files. */
    public static final String DEFAULT_ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";

    public PasswordPolicy {
        if (length < MIN_LENGTH || length > MAX_LENGTH) {
            throw new IllegalArgumentException("password length " + length + " is outside " + MIN_LENGTH + ".." + MAX_LENGTH);
        }
        String problem = alphabetProblem(alphabet);
        if (problem != null) {
            throw new IllegalArgumentException("alphabet " + problem);
        }
    }

    public static PasswordPolicy defaults() {
        return new PasswordPolicy(DEFAULT_LENGTH, DEFAULT_ALPHABET);
    }

    /** Why {@code alphabet} cannot be used, or null when it can. */
    public static String alphabetProblem(String alphabet) {
        if (alphabet == null) {
            return "is required";
        }
        for (int i = 0; i < alphabet.length(); i++) {
            char c = alphabet.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                // Spaces and non-ASCII characters are mangled by too many consumers (shells, URLs, encodings).
                return "must contain only printable ASCII characters other than space (found U+"
                        + String.format("%04X", (int) c) + " at index " + i + ")";
            }
            if (alphabet.indexOf(c) != i) {
                return "must not repeat a character ('" + c + "' appears twice): a repeat would bias the passwords";
            }
        }
        if (alphabet.length() < MIN_ALPHABET) {
            return "must have at least " + MIN_ALPHABET + " distinct characters (has " + alphabet.length() + ")";
        }
        return null;
    }

    /** The alphabet without {@code refused}, in the original order. */
    public String alphabetWithout(Set<Character> refused) {
        StringBuilder out = new StringBuilder(alphabet.length());
        for (int i = 0; i < alphabet.length(); i++) {
            char c = alphabet.charAt(i);
            if (!refused.contains(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
