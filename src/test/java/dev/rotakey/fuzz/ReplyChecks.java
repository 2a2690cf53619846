package dev.rotakey.fuzz;

import dev.rotakey.http.RawHttp;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The invariants every answer to a hostile request must keep: some answer; no 5xx; no stack trace or Java
 * class name in an error body; nothing but the documented public endpoints answered 2xx without a valid token,
 * and nothing but API-key verification for a verifier token.
 */
final class ReplyChecks {
    /** Class names, exception names and stack frames, as a servlet container or framework would leak them. */
    private static final Pattern LEAK = Pattern.compile(
            "Exception|\\bat [\\w$.]+\\(|(?:java|javax|jakarta|org\\.eclipse|org\\.glassfish|com\\.fasterxml|dev\\.rotakey|"
                    + "io\\.dropwizard|org\\.h2|org\\.jdbi|org\\.quartz|sun)\\.[\\w$.]*[A-Z]|<html", Pattern.CASE_INSENSITIVE);
    private static final Pattern PUBLIC_APP = Pattern.compile("(/api/v1/cas/[A-Za-z0-9._~-]+(/chain|/crl)?|/health/(live|ready))(\\?.*)?");
    private static final Pattern PUBLIC_ADMIN = Pattern.compile("(/ping|/health/(live|ready))(\\?.*)?");

    private ReplyChecks() {
    }

    /** What is wrong with {@code reply} to {@code request}; empty if nothing. */
    static List<String> problems(FuzzRequest request, RawHttp.Reply reply) {
        List<String> problems = new ArrayList<>();
        int status = reply.status();
        if (status < 0) {
            problems.add("no HTTP answer: " + cut(reply.body()));
            return problems;
        }
        // A line break or space in the target ends the request line early: what is left ("GET /a") is an HTTP/0.9
        // request, which Jetty's parser refuses with 505 before any of Rotakey's code sees it. That is the protocol's
        // answer to "not HTTP/1.x", not a server failure.
        boolean notHttp11 = request.target().chars().anyMatch(c -> c == '\n' || c == '\r' || c == ' ' || c == '\t');
        if (status >= 500 && !(status == 505 && notHttp11)) {
            problems.add("answered " + status + ": " + cut(reply.body()));
        }
        if (status >= 400 && LEAK.matcher(reply.body()).find()) {
            problems.add("error body names code: " + cut(reply.body()));
        }
        if (status >= 400 && !reply.body().isEmpty() && !reply.body().startsWith("{")
                && !"HEAD".equals(request.method())) {
            problems.add("error body is not JSON: " + cut(reply.body()));
        }
        if (status >= 200 && status < 300) {
            boolean publicPath = request.endpoint().port() == Endpoint.Port.APP
                    ? PUBLIC_APP.matcher(request.target()).matches() : PUBLIC_ADMIN.matcher(request.target()).matches();
            boolean readOnly = List.of("GET", "HEAD", "OPTIONS").contains(request.method());
            if (!request.token().admin && !(publicPath && readOnly)) {
                boolean verifierCall = request.token() == FuzzRequest.Token.VERIFIER && "POST".equals(request.method())
                        // The query string does not change what is called: the verifier may call verify with any.
                        && request.target().split("\\?", 2)[0].equals("/api/v1/api-keys/verify");
                if (!verifierCall) {
                    problems.add("answered " + status + " to a request with token " + request.token());
                }
            }
        }
        return problems;
    }

    private static String cut(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
