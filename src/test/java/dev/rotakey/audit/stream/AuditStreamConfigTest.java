package dev.rotakey.audit.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.config.AuditFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SIEM streams' configuration as an operator writes it under {@code audit.streams}, and what start-up refuses. */
class AuditStreamConfigTest {
    private static final YamlConfigurationFactory<AuditFactory> YAML = new YamlConfigurationFactory<>(
            AuditFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private static AuditFactory parse(String text) throws IOException, ConfigurationException {
        return YAML.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "rotakey.yml");
    }

    @Test
    void everyStreamTypeIsDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(SyslogStreamFactory.class,
                OcsfFileStreamFactory.class, OcsfHttpStreamFactory.class);
    }

    @Test
    void parsesTheDocumentedStreamsWithTheirDefaults() throws Exception {
        AuditFactory audit = parse("""
                streams:
                  - name: siem
                    type: syslog
                    host: siem.example.org
                    tls:
                      caFile: /etc/rotakey/siem-ca.pem
                  - name: ocsf
                    type: ocsf-file
                    path: /var/log/rotakey/audit.ocsf.jsonl
                    startAt: now
                  - name: lake
                    type: ocsf-http
                    url: https://collector.example.org/ingest
                    token: {file: /etc/rotakey/collector-token}
                """);

        SyslogStreamFactory syslog = (SyslogStreamFactory) audit.getStreams().get(0);
        assertThat(syslog.getPort()).isEqualTo(6514);
        assertThat(syslog.facility().numericalCode()).isEqualTo(10);
        assertThat(syslog.getInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(syslog.getStartAt()).isEqualTo(AuditStreamFactory.StartAt.BEGINNING);
        assertThat(audit.getStreams().get(1).getStartAt()).isEqualTo(AuditStreamFactory.StartAt.NOW);
        assertThat(audit.getStreams().get(2)).isInstanceOf(OcsfHttpStreamFactory.class);
    }

    @Test
    void refusesWhatWouldLoseOrLeakEvents() {
        assertThatThrownBy(() -> parse("""
                streams:
                  - {name: siem, type: ocsf-file, path: /a}
                  - {name: siem, type: ocsf-file, path: /b}
                """)).hasMessageContaining("name 'siem' is used by more than one stream");
        assertThatThrownBy(() -> parse("""
                streams:
                  - {name: siem, type: syslog, host: siem.example.org}
                """)).hasMessageContaining("tls");
        assertThatThrownBy(() -> parse("""
                streams:
                  - {name: lake, type: ocsf-http, url: "http://collector.example.org/ingest"}
                """)).hasMessageContaining("url");
        assertThatThrownBy(() -> parse("""
                streams:
                  - {name: siem, type: syslog, host: h, tls: {}, facility: nonsense}
                """)).hasMessageContaining("facility");
        assertThatThrownBy(() -> parse("""
                streams:
                  - {name: "Not A Name", type: ocsf-file, path: /a}
                """)).hasMessageContaining("name");
    }
}
