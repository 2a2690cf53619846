package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.api.AcknowledgeRequest;
import dev.rotakey.api.AcknowledgementView;
import dev.rotakey.api.ErrorBody;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.auth.FailureBudget;
import dev.rotakey.auth.Operator;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.AcknowledgementService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Optional;

/**
 * {@code POST /api/v1/credentials/{id}/versions/{n}/ack}: a consumer confirms it uses version n, with an
 * admin token or by presenting that version's own secret (the bearer filter lets only this path through
 * without a token, so the check here is the authentication).
 */
@Path("/api/v1/credentials/{id}/versions/{n}/ack")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class AcknowledgementResource {
    private static final Logger LOG = LoggerFactory.getLogger(AcknowledgementResource.class);

    private final AcknowledgementService acknowledgements;
    private final AuditLog audit;
    /** Like the bearer filter's: a flood of wrong keys must not flood the audit trail. */
    private final FailureBudget failures = new FailureBudget(20, Clock.systemUTC());

    public AcknowledgementResource(AcknowledgementService acknowledgements, AuditLog audit) {
        this.acknowledgements = acknowledgements;
        this.audit = audit;
    }

    @POST
    @Timed
    public Response acknowledge(@PathParam("id") String id, @PathParam("n") String n, AcknowledgeRequest body,
                                @Context HttpServletRequest request) {
        int version = parseVersion(n);
        Optional<Operator> operator = Operator.find(request);
        String consumer = body == null ? null : body.consumer();
        String actor;
        if (operator.isPresent()) {
            actor = operator.get().actor();
        } else {
            String key = body == null ? null : body.key();
            if (key == null || key.isEmpty()) {
                return refused(request, id, version, "missing Authorization header or key: use 'Authorization: "
                        + "Bearer <token>' or present the version's key in the body");
            }
            if (!acknowledgements.holdsVersionSecret(id, version, key)) {
                // The same answer for an unknown credential, version or key: nothing to learn by probing.
                return refused(request, id, version, "the key is not the secret of this version");
            }
            actor = "consumer:" + (consumer == null ? "?" : consumer);
        }
        return Response.ok(AcknowledgementView.of(acknowledgements.acknowledge(id, version, consumer, actor))).build();
    }

    private static int parseVersion(String n) {
        try {
            int v = Integer.parseInt(n);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw RejectedException.notFound("version", n);
    }

    private Response refused(HttpServletRequest request, String id, int version, String problem) {
        String subject = "POST /api/v1/credentials/" + id + "/versions/" + version + "/ack";
        if (failures.allow(request.getRemoteAddr())) {
            try {
                audit.record("anonymous", AuditAction.AUTH_FAILED, subject, "denied",
                        problem + " from " + request.getRemoteAddr());
            } catch (RuntimeException e) {
                LOG.warn("cannot audit a failed authentication: {}", e.toString());
            }
        }
        return Response.status(401).type(MediaType.APPLICATION_JSON_TYPE)
                .header("WWW-Authenticate", "Bearer realm=\"rotakey\"")
                .entity(new ErrorBody(401, problem, null)).build();
    }
}
