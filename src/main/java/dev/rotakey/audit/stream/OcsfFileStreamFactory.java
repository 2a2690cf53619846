package dev.rotakey.audit.stream;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.jackson.Jackson;
import jakarta.validation.constraints.NotBlank;

import java.nio.file.Path;

/** An {@code ocsf-file} stream: OCSF JSON lines appended to {@code path} for a log shipper (Filebeat, Vector, …). */
@JsonTypeName("ocsf-file")
public class OcsfFileStreamFactory extends AuditStreamFactory {
    @NotBlank
    private String path;

    @Override
    public AuditStreamSink build() {
        return new OcsfFileSink(Path.of(path), new OcsfEvents(Jackson.newMinimalObjectMapper()));
    }

    @JsonProperty
    public String getPath() {
        return path;
    }

    @JsonProperty
    public void setPath(String path) {
        this.path = path;
    }
}
