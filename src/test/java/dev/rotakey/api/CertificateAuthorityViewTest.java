package dev.rotakey.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rotakey.ca.CaSnapshot;
import dev.rotakey.ca.GenerationState;
import io.dropwizard.jackson.Jackson;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/v1/cas/{name}} and {@code POST /tasks/rotate-ca} answer with this JSON, field for field. */
class CertificateAuthorityViewTest {
    /** As the application configures it. */
    private static final ObjectMapper MAPPER = Jackson.newObjectMapper().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

    @Test
    void theJsonHasEveryFieldInOrderAndTheStatesByName() throws Exception {
        CaSnapshot snapshot = new CaSnapshot("agents-ca", "example.org", "hsm", "EC_P256", "root-ca", List.of(
                new CaSnapshot.Generation(2, GenerationState.ACTIVE, "CN=Agents CA", "1a2b", T, T.plusSeconds(60), 0,
                        7L, T.plusSeconds(3600)),
                new CaSnapshot.Generation(1, GenerationState.RETIRED, "CN=Agents CA", "ff", T, T, 3, null, null)));

        assertThat(MAPPER.writeValueAsString(CertificateAuthorityView.of(snapshot))).isEqualTo("{\"name\":\"agents-ca\","
                + "\"trustDomain\":\"example.org\",\"backend\":\"hsm\",\"keySpec\":\"EC_P256\",\"parent\":\"root-ca\","
                + "\"generations\":[{\"generation\":2,\"state\":\"ACTIVE\",\"subject\":\"CN=Agents CA\",\"serial\":\"1a2b\","
                + "\"notBefore\":\"2026-03-01T10:00:00Z\",\"notAfter\":\"2026-03-01T10:01:00Z\",\"outstandingCertificates\":0,"
                + "\"crlNumber\":7,\"crlNextUpdate\":\"2026-03-01T11:00:00Z\"},"
                + "{\"generation\":1,\"state\":\"RETIRED\",\"subject\":\"CN=Agents CA\",\"serial\":\"ff\","
                + "\"notBefore\":\"2026-03-01T10:00:00Z\",\"notAfter\":\"2026-03-01T10:00:00Z\",\"outstandingCertificates\":3,"
                + "\"crlNumber\":null,\"crlNextUpdate\":null}]}");
    }

    @Test
    void aRootHasNoParentField() throws Exception {
        CaSnapshot root = new CaSnapshot("root-ca", "example.org", "hsm", "EC_P384", null, List.of());

        assertThat(MAPPER.writeValueAsString(CertificateAuthorityView.of(root))).isEqualTo("{\"name\":\"root-ca\","
                + "\"trustDomain\":\"example.org\",\"backend\":\"hsm\",\"keySpec\":\"EC_P384\",\"generations\":[]}");
    }
}
