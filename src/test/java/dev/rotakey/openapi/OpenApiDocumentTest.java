package dev.rotakey.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.AccessPolicy;
import io.github.classgraph.ClassGraph;
import io.github.classgraph.ClassInfo;
import io.github.classgraph.ScanResult;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document is complete: every JAX-RS resource method of the daemon, every endpoint and task of the access
 * table and every endpoint the README and the API page name is in it, each with its roles and error answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentTest {
    private static final Pattern DOCUMENTED = Pattern.compile(
            "\\b(GET|POST|PATCH|PUT|DELETE) (/(?:api/v1|tasks|health|healthcheck|metrics)[^\\s`?\\[\\]()\"',]*)");
    private JsonNode doc;
    private List<Class<?>> resources;

    @BeforeAll
    void build() throws IOException {
        try (ScanResult scan = new ClassGraph().enableAnnotationInfo().acceptPackages("dev.rotakey").scan()) {
            resources = new ArrayList<>();
            for (ClassInfo c : scan.getClassesWithAnnotation(Path.class.getName())) {
                // Main code only: test classes may declare resources of their own.
                if (!c.getClasspathElementFile().getPath().contains("test-classes")) {
                    resources.add(c.loadClass());
                }
            }
        }
        String json = OpenApiDocument.json(OpenApiDocument.build(resources, "test"));
        // Kept for reading and for client generators run on the build's output.
        Files.createDirectories(java.nio.file.Path.of("target"));
        Files.writeString(java.nio.file.Path.of("target/openapi.json"), json);
        doc = new ObjectMapper().readTree(json);
    }

    @Test
    void everyResourceMethodIsAnOperation() {
        assertThat(resources).as("resources found").hasSizeGreaterThan(15);
        List<String> missing = new ArrayList<>();
        for (Class<?> r : resources) {
            if (r.isAnnotationPresent(Hidden.class)) {
                continue;
            }
            String base = r.getAnnotation(Path.class).value();
            for (Method m : r.getMethods()) {
                String verb = httpMethod(m);
                if (verb == null || m.isAnnotationPresent(Hidden.class)) {
                    continue;
                }
                Path sub = m.getAnnotation(Path.class);
                String path = normalise(base + (sub == null ? "" : "/" + sub.value()));
                if (operation(path, verb) == null) {
                    missing.add(verb + " " + path + " (" + r.getSimpleName() + "." + m.getName() + ")");
                }
            }
        }
        assertThat(missing).as("resource methods missing from the OpenAPI document").isEmpty();
    }

    @Test
    void everyEndpointAndTaskOfTheAccessTableIsAnOperationWithItsRoles() {
        List<String> missing = new ArrayList<>();
        for (AccessPolicy.Rule rule : AccessPolicy.RULES) {
            JsonNode op = matching(rule.method(), rule.template());
            if (op == null) {
                missing.add(rule.port() + " " + rule.method() + " " + rule.template());
                continue;
            }
            Set<String> roles = new TreeSet<>();
            op.path(OpenApiDocument.ROLES).forEach(n -> roles.add(n.asText()));
            assertThat(roles).as(rule.method() + " " + rule.template())
                    .isEqualTo(new TreeSet<>(rule.roles().stream().map(r -> r.wireName()).toList()));
            assertThat(op.path(OpenApiDocument.PORT).asText(rule.port() == AccessPolicy.Port.API ? "" : "admin"))
                    .as("port of " + rule.template()).isIn(rule.port() == AccessPolicy.Port.API ? "" : "admin");
        }
        assertThat(missing).as("access rules with no operation in the OpenAPI document").isEmpty();
    }

    @Test
    void onlyTheCertificateAuthoritiesAndTheProbesArePublic() {
        List<String> publicOps = new ArrayList<>();
        eachOperation((path, verb, op) -> {
            if (op.has("security") && op.get("security").isEmpty()) {
                publicOps.add(path);
                assertThat(op.has(OpenApiDocument.ROLES)).as(path).isFalse();
            } else {
                assertThat(op.path(OpenApiDocument.ROLES).size()).as("roles of " + verb + " " + path).isPositive();
                assertThat(op.path("responses").has("401")).as("401 of " + verb + " " + path).isTrue();
                assertThat(op.path("responses").has("403")).as("403 of " + verb + " " + path).isTrue();
            }
        });
        assertThat(publicOps).allMatch(p -> p.startsWith("/api/v1/cas/") || p.startsWith("/health/") || p.equals("/ping"));
        assertThat(doc.path("components").path("securitySchemes").path("bearer").path("scheme").asText())
                .isEqualTo("bearer");
    }

    @Test
    void everyErrorAnswerHasTheErrorBody() {
        JsonNode schema = doc.path("components").path("schemas").path("ErrorBody").path("properties");
        assertThat(schema.has("code") && schema.has("message") && schema.has("field")).as(schema.toString()).isTrue();
        eachOperation((path, verb, op) -> {
            assertThat(op.path("responses").has("503")).as("503 of " + verb + " " + path).isTrue();
            Iterator<Map.Entry<String, JsonNode>> it = op.path("responses").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> r = it.next();
                int code = r.getKey().matches("\\d{3}") ? Integer.parseInt(r.getKey()) : 0;
                if (code >= 400 && !(path.startsWith("/health/") || path.equals("/healthcheck"))) {
                    assertThat(r.getValue().path("content").path("application/json").path("schema").path("$ref").asText())
                            .as(code + " of " + verb + " " + path).isEqualTo("#/components/schemas/ErrorBody");
                }
            }
            if (op.has("requestBody")) {
                assertThat(op.path("responses").has("422")).as("422 of " + verb + " " + path).isTrue();
            }
        });
    }

    @Test
    void everyEndpointTheReadmeAndTheApiPageNameIsInIt() throws IOException {
        Set<String> named = new LinkedHashSet<>();
        for (String file : List.of("README.md", "docs/api.md")) {
            Matcher m = DOCUMENTED.matcher(Files.readString(java.nio.file.Path.of(file)));
            while (m.find()) {
                named.add(m.group(1) + " " + m.group(2).replaceAll("[.:…]+$", ""));
            }
        }
        assertThat(named).as("endpoints named in the docs").hasSizeGreaterThan(20);
        List<String> missing = new ArrayList<>();
        for (String e : named) {
            String[] parts = e.split(" ", 2);
            if (matching(parts[0], parts[1]) == null) {
                missing.add(e);
            }
        }
        assertThat(missing).as("endpoints the README or docs/api.md name that the OpenAPI document lacks").isEmpty();
    }

    /** The operation of a path written as a template or as a concrete path (the docs' {@code /api/v1/agents/{id}}). */
    private JsonNode matching(String verb, String path) {
        String wanted = OpenApiDocument.concrete(normalise(path));
        Iterator<Map.Entry<String, JsonNode>> it = doc.path("paths").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            String candidate = p.getKey();
            boolean same = OpenApiDocument.concrete(candidate).equals(wanted)
                    || Pattern.compile(Pattern.quote(candidate).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q"))
                    .matcher(path).matches();
            if (same && p.getValue().has(verb.toLowerCase(Locale.ROOT))) {
                return p.getValue().get(verb.toLowerCase(Locale.ROOT));
            }
        }
        return null;
    }

    private JsonNode operation(String path, String verb) {
        return doc.path("paths").path(path).get(verb.toLowerCase(Locale.ROOT));
    }

    private interface OperationVisitor {
        void visit(String path, String verb, JsonNode op);
    }

    private void eachOperation(OperationVisitor v) {
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(o -> {
            if (Set.of("get", "post", "put", "patch", "delete", "head").contains(o.getKey())) {
                v.visit(p.getKey(), o.getKey(), o.getValue());
            }
        }));
    }

    private static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
            if (h != null) {
                return h.value();
            }
        }
        return null;
    }

    private static String normalise(String path) {
        String p = ("/" + path).replaceAll("/+", "/");
        // JAX-RS templates may carry a regex: {id: [a-z]+} is {id} in OpenAPI.
        p = p.replaceAll("\\{\\s*([A-Za-z0-9_]+)\\s*:[^}]*}", "{$1}");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
