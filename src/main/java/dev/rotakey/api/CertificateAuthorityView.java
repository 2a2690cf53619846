package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.ca.CaSnapshot;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /api/v1/cas/{name}}: a certificate authority's public facts and its generations, newest
 * first, with how many certificates each still vouches for and the state of its CRL.
 */
public record CertificateAuthorityView(String name, String trustDomain, String backend, String keySpec,
                                       @JsonInclude(JsonInclude.Include.NON_NULL) String parent,
                                       List<Generation> generations) {

    /** The view of a CA as the {@code ca} package reports it; states are shown by name. */
    public static CertificateAuthorityView of(CaSnapshot ca) {
        return new CertificateAuthorityView(ca.name(), ca.trustDomain(), ca.backend(), ca.keySpec(), ca.parent(),
                ca.generations().stream().map(Generation::of).toList());
    }

    /** One generation: state ACTIVE, RETIRING or RETIRED, its certificate, unexpired unrevoked leaves, and its CRL. */
    public record Generation(int generation, String state, String subject, String serial, Instant notBefore,
                             Instant notAfter, long outstandingCertificates, Long crlNumber, Instant crlNextUpdate) {

        static Generation of(CaSnapshot.Generation g) {
            return new Generation(g.generation(), g.state().name(), g.subject(), g.serial(), g.notBefore(), g.notAfter(),
                    g.outstandingCertificates(), g.crlNumber(), g.crlNextUpdate());
        }
    }
}
