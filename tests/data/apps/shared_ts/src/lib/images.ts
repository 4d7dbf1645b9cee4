export function resize(data: Uint8Array): Uint8Array {
  return data.slice(0, Math.floor(data.length / 2));
}
