package dev.rotakey.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict decoding of a query string ({@code application/x-www-form-urlencoded}): every {@code %} must be
 * followed by two hex digits and the bytes must be UTF-8. What one servlet would decode leniently and
 * another would refuse with an exception is refused here, once, with a 400.
 */
final class QueryString {
    static final int MAX_PARAMETERS = 100;

    private QueryString() {
    }

    /** Thrown for a query that cannot be decoded; its message is safe to show the caller. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    /** The parameters of {@code raw} (may be null), in order, each with its values in order. */
    static Map<String, List<String>> parse(String raw) throws MalformedException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        int count = 0;
        for (String pair : raw.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            if (++count > MAX_PARAMETERS) {
                throw new MalformedException("the query has more than " + MAX_PARAMETERS + " parameters");
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        out.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(out);
    }

    /** Whether every {@code %} in {@code s} starts a two-hex-digit escape (and, with {@code plus}, '+' means space). */
    static boolean wellEncoded(String s, boolean plus) {
        try {
            decode(s, plus);
            return true;
        } catch (MalformedException e) {
            return false;
        }
    }

    static String decode(String s) throws MalformedException {
        return decode(s, true);
    }

    private static String decode(String s, boolean plus) throws MalformedException {
        if (s.indexOf('%') < 0 && (!plus || s.indexOf('+') < 0)) {
            checkCharacters(s);
            return s;
        }
        ByteBuffer bytes = ByteBuffer.allocate(s.length() * 4);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw new MalformedException("the query has a malformed percent-encoding: '%' must be followed by two hex digits");
                }
                bytes.put((byte) Integer.parseInt(s, i + 1, i + 3, 16));
                i += 2;
            } else if (c == '+' && plus) {
                bytes.put((byte) ' ');
            } else {
                bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        bytes.flip();
        try {
            String decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
            checkCharacters(decoded);
            return decoded;
        } catch (CharacterCodingException e) {
            throw new MalformedException("the query is not valid UTF-8 once decoded");
        }
    }

    /** NUL and other C0 controls have no business in a name or id; refusing them spares every resource the check. */
    private static void checkCharacters(String s) throws MalformedException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new MalformedException("the query contains a control character");
            }
        }
    }
}
