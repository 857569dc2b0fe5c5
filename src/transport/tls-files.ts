import { readFile } from "node:fs/promises";

/** The standalone server's certificate and key, as PEM file paths (options `tls.cert`, `tls.key`). */
export interface TlsFiles {
  /** The certificate chain: the server's certificate first, then any intermediates. */
  cert: string;
  /** The private key of the certificate. */
  key: string;
}

/** Both files' contents, read now; an error naming the option and the file when one cannot be read. */
export async function readTlsFiles(files: TlsFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (option: keyof TlsFiles) =>
    readFile(files[option]).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read tls.${option} ${files[option]}: ${error.code ?? error.message}`);
    });
  const [cert, key] = await Promise.all([read("cert"), read("key")]);
  return { cert, key };
}
