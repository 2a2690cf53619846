package dev.rotakey.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.ErrorBody;
import dev.rotakey.api.Refusals;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.RejectedException;
import io.dropwizard.servlets.tasks.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Base of Rotakey's admin tasks: answers JSON, turns refused requests into 4xx answers (through
 * {@link TaskResponseFilter}, since Dropwizard tasks cannot set a status), and never lets an
 * exception reach Dropwizard's task servlet, which would print a stack trace.
 */
public abstract class OperatorTask extends Task {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorTask.class);
    private final ObjectMapper mapper;

    protected OperatorTask(String name, ObjectMapper mapper) {
        super(name);
        this.mapper = mapper;
    }

    @Override
    public final Optional<String> getResponseContentType() {
        return Optional.of("application/json");
    }

    @Override
    public final void execute(Map<String, List<String>> parameters, PrintWriter output) throws Exception {
        Object body;
        Optional<Operator> operator = Operator.findCurrent();
        try {
            if (operator.isEmpty()) {
                // Only reachable if the bearer filter let a request through unauthenticated: refuse, never run.
                ErrorBody refusal = AuthenticationFailures.unauthenticated(AuthenticationFailures.MISSING_TOKEN);
                TaskResponseFilter.setStatus(refusal.code());
                body = refusal;
            } else {
                body = run(parameters, operator.get());
            }
        } catch (RejectedException e) {
            ErrorBody refusal = Refusals.body(e);
            TaskResponseFilter.setStatus(refusal.code());
            body = refusal;
        } catch (RuntimeException e) {
            LOG.error("task {} failed", getName(), e);
            TaskResponseFilter.setStatus(503);
            // The log has the exception; the answer names no class (hostile callers learn nothing of the code).
            body = new ErrorBody(503, "task " + getName() + " could not complete; see the daemon's log", null);
        }
        output.write(mapper.writeValueAsString(body));
        output.write('\n');
    }

    /** Does the task's work and returns the JSON answer. */
    protected abstract Object run(Map<String, List<String>> parameters, Operator operator) throws Exception;

    /** The single value of a query parameter, or empty. Refuses repeated values. */
    protected static Optional<String> param(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw RejectedException.badRequest("parameter '" + name + "' given more than once");
        }
        String v = values.get(0);
        if (v == null || v.isBlank()) {
            throw RejectedException.badRequest("parameter '" + name + "' is empty");
        }
        return Optional.of(v);
    }

    protected static String requireParam(Map<String, List<String>> parameters, String name) {
        return param(parameters, name).orElseThrow(() ->
                RejectedException.badRequest("parameter '" + name + "' is required, e.g. ?" + name + "=<id>"));
    }
}
