package dev.rotakey.http;

import java.util.Locale;
import java.util.Optional;

/**
 * Refuses request targets that can be read two ways: dot segments, empty segments, encoded slashes,
 * dots and backslashes, path parameters, control characters. The servlet container normalises such a
 * path before routing it, so a filter reading the raw URI and a servlet reading the normalised one
 * could disagree about which resource is asked for; with these refused, both readings are the same.
 */
final class RawPathRules {
    private RawPathRules() {
    }

    /** What is wrong with the raw (undecoded) path of a request, or empty if it is unambiguous. */
    static Optional<String> problem(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return Optional.of("the request path must start with '/'");
        }
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c < 0x21 || c == 0x7f) {
                return Optional.of("the request path contains a control character or space");
            }
            if (c == '\\') {
                return Optional.of("the request path contains a backslash");
            }
            if (c == ';') {
                return Optional.of("the request path contains a path parameter (';')");
            }
        }
        if (!QueryString.wellEncoded(rawPath, false)) {
            return Optional.of("the request path has a malformed percent-encoding");
        }
        String lower = rawPath.toLowerCase(Locale.ROOT);
        for (String encoded : new String[]{"%2f", "%5c", "%2e", "%3b", "%00", "%25"}) {
            if (lower.contains(encoded)) {
                return Optional.of("the request path contains an encoded '/', '\\', '.', ';', '%' or NUL");
            }
        }
        if (rawPath.contains("//")) {
            return Optional.of("the request path contains an empty segment ('//')");
        }
        for (String segment : rawPath.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.of("the request path contains a dot segment ('.' or '..')");
            }
        }
        return Optional.empty();
    }
}
