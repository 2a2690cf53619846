package dev.rotakey.http;

import dev.rotakey.api.ErrorBody;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Jetty's error pages as Rotakey's JSON {@link ErrorBody} ({@link ErrorJson}), whatever the client accepts: no
 * HTML, no stack trace, no exception or class name. One handler serves both ports' servlet contexts and the server
 * itself (requests refused before they reach a context: a malformed request line, headers too large). It is Jetty's
 * core handler, not the servlet one: a servlet context hands its errors to any request handler, while the server
 * cannot use the servlet one, and Rotakey maps no error pages that only the servlet one would serve.
 */
public final class JsonErrorHandler extends org.eclipse.jetty.server.handler.ErrorHandler {
    public JsonErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
        setShowMessageInTitle(false);
        setDefaultResponseMimeType("application/json");
    }

    @Override
    public boolean errorPageForMethod(String method) {
        // Every refusal gets a body, whatever the method (Jetty's default gives PATCH, PUT... none).
        return true;
    }

    @Override
    protected boolean generateAcceptableResponse(Request request, Response response, Callback callback, String contentType,
                                                 List<Charset> charsets, int code, String message, Throwable cause)
            throws IOException {
        // Whatever the client asked for, Jetty's JSON branch, which calls writeErrorJson below.
        return super.generateAcceptableResponse(request, response, callback, "application/json",
                List.of(StandardCharsets.UTF_8), code, message, null);
    }

    @Override
    protected void writeErrorJson(Request request, PrintWriter writer, int code, String message, Throwable cause) {
        writer.write(new String(ErrorJson.body(code, message), StandardCharsets.UTF_8));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(ErrorJson.body(status, reason));
    }
}
