package dev.rotakey.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One generated request, kept as what is sent on the wire: the head's lines and the body's bytes, with the
 * token it carried and whether the client half-closes after sending (a body shorter than announced).
 */
record FuzzRequest(Endpoint endpoint, Token token, String method, String target, List<String> headers, byte[] body,
                   boolean halfClose) {
    /** Which credential the request presents. */
    enum Token {
        NONE(false), ADMIN(true), SECOND_ADMIN(true), VERIFIER(false), GARBAGE(false), BASIC(false), EMPTY_BEARER(false),
        OVERLONG(false);

        final boolean admin;

        Token(boolean admin) {
            this.admin = admin;
        }
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (String h : headers) {
            head.append(h).append("\r\n");
        }
        head.append("\r\n");
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** A short description for failure reports; the body is cut. */
    String describe() {
        String text = new String(bytes(), StandardCharsets.UTF_8);
        return (text.length() > 600 ? text.substring(0, 600) + "…(" + text.length() + " chars)" : text)
                .replace("\r\n", "⏎ ").replaceAll("\\p{Cntrl}", "·");
    }
}
