package io.mirrorgate.orchestrator.endtoend;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The end-to-end test's "small TCP service" and its client, as one program so that each runs in
 * its own network namespace as a child JVM.
 *
 * <ul>
 *   <li>{@code serve ADDRESS PORT DIR}: answers a request line {@code NAME} with the bytes of
 *       {@code DIR/NAME}, then closes; binds the service address, so it only starts where that
 *       address is up;</li>
 *   <li>{@code client ADDRESS PORT}: reads names on stdin, prints {@code ok NAME SHA256} or
 *       {@code error NAME REASON} per name (a one-second connect timeout), so that a test can
 *       poll the service from the client's namespace without starting a JVM per attempt.</li>
 * </ul>
 */
public final class FileService {
    private FileService() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve")) {
            serve(args[1], Integer.parseInt(args[2]), Path.of(args[3]));
        } else {
            client(args[1], Integer.parseInt(args[2]));
        }
    }

    private static void serve(String address, int port, Path dir) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            while (true) {
                try (Socket s = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.UTF_8));
                    String name = in.readLine();
                    OutputStream out = s.getOutputStream();
                    if (name != null && name.matches("[A-Za-z0-9_.-]+")) {
                        out.write(Files.readAllBytes(dir.resolve(name)));
                    }
                    out.flush();
                } catch (IOException e) {
                    System.err.println("request failed: " + e);
                }
            }
        }
    }

    private static void client(String address, int port) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String name;
        while ((name = in.readLine()) != null) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(address), port), 1000);
                s.setSoTimeout(5000);
                s.getOutputStream().write((name + "\n").getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                InputStream body = s.getInputStream();
                byte[] buffer = new byte[65536];
                long total = 0;
                int n;
                while ((n = body.read(buffer)) >= 0) {
                    sha.update(buffer, 0, n);
                    total += n;
                }
                out.println(total == 0 ? "error " + name + " empty" : "ok " + name + " "
                        + HexFormat.of().formatHex(sha.digest()));
            } catch (IOException e) {
                out.println("error " + name + " " + e.toString().replace('\n', ' '));
            }
        }
    }
}
