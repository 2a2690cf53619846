package dev.rotakey.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.ErrorBody;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** Writes a refusal made before a request reaches Rotakey's code: a status and an {@link ErrorBody}, as JSON. */
final class HttpRefusal {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpRefusal() {
    }

    static void send(HttpServletResponse response, int status, String message) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        byte[] body = JSON.writeValueAsBytes(new ErrorBody(status, message, null));
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
