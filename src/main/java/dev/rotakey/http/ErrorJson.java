package dev.rotakey.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.ErrorBody;
import org.eclipse.jetty.http.HttpStatus;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** The body of an error Jetty answers by itself: an {@link ErrorBody} that names no exception, class or stack frame. */
final class ErrorJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A Java class name ({@code java.lang.IllegalArgumentException}), an exception's name or a stack frame. */
    private static final Pattern CODE_LIKE = Pattern.compile(
            "(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*|Exception|Error\\b|\\bat [\\w$.]+\\(");

    private ErrorJson() {
    }

    /** The JSON body for {@code code}: Jetty's reason for a 4xx if it is safe to show, the status text otherwise. */
    static byte[] body(int code, String message) {
        String text = HttpStatus.getMessage(code);
        if (code < 500 && message != null && !message.isBlank() && message.length() <= 200
                && !CODE_LIKE.matcher(message).find() && message.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            text = message;
        }
        try {
            return JSON.writeValueAsBytes(new ErrorBody(code, text, null));
        } catch (JsonProcessingException e) {
            return ("{\"code\":" + code + "}").getBytes(StandardCharsets.US_ASCII);
        }
    }
}
