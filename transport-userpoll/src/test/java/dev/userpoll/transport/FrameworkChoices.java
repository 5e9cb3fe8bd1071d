package dev.userpoll.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Every transport choice this machine has, for the framework adapter tests: this transport on the io_uring and
 * epoll ring sources, each with the batched and the direct submitter, and Netty's epoll, io_uring and NIO. A choice
 * that is unavailable here is left out and printed with its cause (a test that needs it then is skipped).
 */
public final class FrameworkChoices {
    /** A choice: how tests name it, and what the selector made of it. */
    public record Choice(String label, SelectedTransport transport) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static final List<Choice> CHOICES = find();

    private FrameworkChoices() {
    }

    public static List<Choice> all() {
        return CHOICES;
    }

    /** {@code size} bytes, the same ones for the same size (seeded by it): what a framework test sends, checks. */
    public static byte[] payload(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    private static List<Choice> find() {
        List<Choice> choices = new ArrayList<>();
        String[][] wanted = {
                {"userpoll:io_uring", "batched"}, {"userpoll:io_uring", "direct"},
                {"userpoll:epoll", "batched"}, {"userpoll:epoll", "direct"},
                {"netty-epoll", null}, {"netty-io_uring", null}, {"nio", null}};
        for (String[] w : wanted) {
            String label = w[1] == null ? w[0] : w[0] + '+' + w[1];
            Map<String, String> props = w[1] == null ? Map.of() : Map.of(TransportSelector.IO_SUBMITTER_PROPERTY, w[1]);
            try {
                SelectedTransport t = new TransportSelector(props::get, name -> null,
                        FrameworkChoices.class.getClassLoader()).choose(w[0]);
                if (t.ioSubmitter() != null && !t.ioSubmitter().configName().equals(w[1])) {
                    System.out.println("framework tests: " + label + " unavailable (I/O submitter "
                            + t.ioSubmitter().configName() + " instead)");
                    continue;
                }
                choices.add(new Choice(label, t));
            } catch (IllegalStateException e) {
                System.out.println("framework tests: " + label + " unavailable: " + TransportSelector.describe(e));
            }
        }
        return List.copyOf(choices);
    }
}
