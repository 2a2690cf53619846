package dev.rotakey.service;

import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.RejectedException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code revokeWhen}, {@code consumers} and {@code maxGracePeriod} at credential creation: defaults, and 422s naming the field. */
class AcknowledgementValidationTest {
    private static final Duration GRACE = Duration.ofHours(1);
    private static final Duration INTERVAL = Duration.ofDays(7);

    private static NewCredential request(String revokeWhen, List<String> consumers, String max) {
        return new NewCredential("c", "a", "api-key", "hsm", null, "PT1H", List.of(), null, null, null, null,
                null, null, null, null, null, revokeWhen, consumers, max);
    }

    private static void refused(NewCredential req, Duration grace, Duration interval, String field) {
        assertThatThrownBy(() -> CredentialService.acknowledgements(req, grace, interval))
                .isInstanceOfSatisfying(RejectedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                    assertThat(e.field()).isEqualTo(field);
                });
    }

    @Test
    void graceIsTheDefaultAndTakesNoConsumers() {
        assertThat(CredentialService.acknowledgements(request(null, null, null), GRACE, INTERVAL)).isNull();
        assertThat(CredentialService.acknowledgements(request("grace", null, null), GRACE, INTERVAL)).isNull();
        refused(request(null, List.of("web"), null), GRACE, INTERVAL, "consumers");
        refused(request("grace", null, "PT2H"), GRACE, INTERVAL, "maxGracePeriod");
        refused(request("whenever", null, null), GRACE, INTERVAL, "revokeWhen");
    }

    @Test
    void acknowledgedNeedsOneToThirtyTwoDistinctIdentifiers() {
        refused(request("acknowledged", null, null), GRACE, INTERVAL, "consumers");
        refused(request("acknowledged", List.of(), null), GRACE, INTERVAL, "consumers");
        refused(request("acknowledged", List.of("web", "web"), null), GRACE, INTERVAL, "consumers");
        refused(request("acknowledged", List.of("web/../x"), null), GRACE, INTERVAL, "consumers");
        refused(request("acknowledged", IntStream.range(0, 33).mapToObj(i -> "c" + i).toList(), null), GRACE, INTERVAL,
                "consumers");
        assertThat(CredentialService.acknowledgements(request("acknowledged",
                IntStream.range(0, 32).mapToObj(i -> "c" + i).toList(), null), GRACE, INTERVAL).consumers()).hasSize(32);
    }

    @Test
    void maxGracePeriodDefaultsToThreeGracePeriodsBelowTheInterval() {
        AcknowledgementPolicy p = CredentialService.acknowledgements(request("acknowledged", List.of("web"), null),
                GRACE, INTERVAL);
        assertThat(p.maxGracePeriod()).isEqualTo(Duration.ofHours(3));
        AcknowledgementPolicy capped = CredentialService.acknowledgements(request("acknowledged", List.of("web"), null),
                Duration.ofDays(3), INTERVAL);
        assertThat(capped.maxGracePeriod()).isLessThan(INTERVAL).isGreaterThanOrEqualTo(Duration.ofDays(3));
    }

    @Test
    void maxGracePeriodLiesBetweenGraceAndTheInterval() {
        refused(request("acknowledged", List.of("web"), "PT30M"), GRACE, INTERVAL, "maxGracePeriod");
        refused(request("acknowledged", List.of("web"), "P7D"), GRACE, INTERVAL, "maxGracePeriod");
        refused(request("acknowledged", List.of("web"), "soon"), GRACE, INTERVAL, "maxGracePeriod");
        assertThat(CredentialService.acknowledgements(request("acknowledged", List.of("web"), "PT1H"), GRACE, INTERVAL)
                .maxGracePeriod()).isEqualTo(GRACE);
    }
}
