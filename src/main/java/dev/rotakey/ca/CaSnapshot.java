package dev.rotakey.ca;

import java.time.Instant;
import java.util.List;

/**
 * A certificate authority as it is now: its configured facts and its generations, newest first, with
 * how many certificates each still vouches for and the state of its CRL. All public material.
 */
public record CaSnapshot(String name, String trustDomain, String backend, String keySpec, String parent,
                         List<Generation> generations) {

    public CaSnapshot {
        generations = List.copyOf(generations);
    }

    /**
     * One generation: its state, its certificate's subject, serial (lower-case hex) and validity, its
     * unexpired unrevoked leaves, and its latest CRL's number (null before the first is signed) and nextUpdate.
     */
    public record Generation(int generation, GenerationState state, String subject, String serial, Instant notBefore,
                             Instant notAfter, long outstandingCertificates, Long crlNumber, Instant crlNextUpdate) {
    }
}
