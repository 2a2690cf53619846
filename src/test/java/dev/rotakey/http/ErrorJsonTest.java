package dev.rotakey.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Jetty's own error messages reach the client only when they name no exception, class or stack frame. */
class ErrorJsonTest {
    private static String body(int code, String message) {
        return new String(ErrorJson.body(code, message), StandardCharsets.UTF_8);
    }

    @Test
    void keepsAPlainReasonForA4xx() {
        assertThat(body(400, "Ambiguous URI empty segment")).isEqualTo("{\"code\":400,\"message\":\"Ambiguous URI empty segment\"}");
    }

    @Test
    void dropsClassNamesExceptionsAndFiveHundredDetails() {
        assertThat(body(400, "java.lang.IllegalArgumentException: URLDecoder: Incomplete trailing escape (%) pattern"))
                .isEqualTo("{\"code\":400,\"message\":\"Bad Request\"}");
        assertThat(body(400, "org.eclipse.jetty.http.BadMessageException: 400: Bad query"))
                .doesNotContain("org.eclipse", "Exception");
        assertThat(body(500, "NullPointerException at dev.rotakey.X.y(X.java:1)"))
                .isEqualTo("{\"code\":500,\"message\":\"Server Error\"}");
        assertThat(body(400, "bad \u0000 byte")).isEqualTo("{\"code\":400,\"message\":\"Bad Request\"}");
    }
}
