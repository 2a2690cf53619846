package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.audit.stream.AuditStreamFactory;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The audit trail's configuration: how its chain is checkpointed, and the streams that export it to a SIEM. */
@SelfValidating
public class AuditFactory {
    @Valid
    @NotNull
    private AuditCheckpointsFactory checkpoints = new AuditCheckpointsFactory();
    @Valid
    @NotNull
    private List<AuditStreamFactory> streams = new ArrayList<>();

    /** A stream's name keys its durable cursor: two streams of one name would share, and skip, each other's events. */
    @SelfValidation
    public void validateStreamNames(ViolationCollector violations) {
        Set<String> seen = new HashSet<>();
        for (AuditStreamFactory s : streams) {
            if (s != null && s.getName() != null && !seen.add(s.getName())) {
                violations.addViolation("streams", "name '" + s.getName() + "' is used by more than one stream");
            }
        }
    }

    @JsonProperty
    public List<AuditStreamFactory> getStreams() {
        return streams;
    }

    @JsonProperty
    public void setStreams(List<AuditStreamFactory> streams) {
        this.streams = streams;
    }

    @JsonProperty
    public AuditCheckpointsFactory getCheckpoints() {
        return checkpoints;
    }

    @JsonProperty
    public void setCheckpoints(AuditCheckpointsFactory checkpoints) {
        this.checkpoints = checkpoints;
    }
}
