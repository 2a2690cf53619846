package dev.rotakey.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.auth.Operator;
import dev.rotakey.tasks.OperatorTask;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The second line behind the bearer filter (defect 4's 503): a Rotakey task reached without an authenticated
 * operator does not run, and answers 401 rather than a 503 naming IllegalStateException.
 */
class UnauthenticatedTaskTest {
    @Test
    void aTaskWithoutAnOperatorRefusesWith401AndDoesNotRun() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        OperatorTask task = new OperatorTask("probe", new ObjectMapper()) {
            @Override
            protected Object run(Map<String, List<String>> parameters, Operator operator) {
                ran.set(true);
                return Map.of();
            }
        };
        StringWriter out = new StringWriter();
        try (PrintWriter writer = new PrintWriter(out)) {
            task.execute(Map.of(), writer);
        }
        assertThat(ran).isFalse();
        assertThat(out.toString()).startsWith("{\"code\":401,").doesNotContain("Exception");
    }
}
