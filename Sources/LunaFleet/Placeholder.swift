// Placeholder so the target builds; replaced as the room fills in.
