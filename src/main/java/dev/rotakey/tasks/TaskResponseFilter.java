package dev.rotakey.tasks;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Lets a task answer with a 4xx status: Dropwizard's task servlet only hands a task a writer, so
 * the task's output is buffered here and sent with the status the task chose.
 */
public final class TaskResponseFilter implements Filter {
    private static final ThreadLocal<Integer> STATUS = new ThreadLocal<>();

    static void setStatus(int status) {
        STATUS.set(status);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain) throws IOException, ServletException {
        HttpServletResponse response = (HttpServletResponse) resp;
        Buffered buffered = new Buffered(response);
        STATUS.remove();
        try {
            chain.doFilter(req, buffered);
            Integer status = STATUS.get();
            if (status != null) {
                response.setStatus(status);
            }
            buffered.flushBuffer();
            byte[] body = buffered.bytes.toByteArray();
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        } finally {
            STATUS.remove();
        }
    }

    private static final class Buffered extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private PrintWriter writer;
        private ServletOutputStream stream;

        Buffered(HttpServletResponse response) {
            super(response);
        }

        @Override
        public PrintWriter getWriter() {
            if (writer == null) {
                writer = new PrintWriter(new OutputStreamWriter(bytes, StandardCharsets.UTF_8));
            }
            return writer;
        }

        @Override
        public ServletOutputStream getOutputStream() {
            if (stream == null) {
                stream = new ServletOutputStream() {
                    @Override
                    public boolean isReady() {
                        return true;
                    }

                    @Override
                    public void setWriteListener(WriteListener listener) {
                        throw new UnsupportedOperationException("buffered response");
                    }

                    @Override
                    public void write(int b) {
                        bytes.write(b);
                    }
                };
            }
            return stream;
        }

        @Override
        public void flushBuffer() {
            if (writer != null) {
                writer.flush();
            }
        }

        @Override
        public void setContentLength(int len) {
            // The real length is set when the buffer is sent.
        }
    }
}
