"""Folders of image files (png, jpg, jpeg, bmp, gif): flat, or one sub-folder per class.

How a folder is read: the file list is gathered first (sorted; sub-folder names
sorted give the label ids 0..K-1), then each file's size and channel count are
read from its header only (a few bytes: PNG IHDR, JPEG frame marker, GIF screen
descriptor, BMP info header), and its end is checked for truncation (a file
that looks truncated is decoded once, eagerly, to be sure). That is cheap even
for large folders, finds mixed sizes before training, and names any file that
is not a valid image or is cut short. The pixels are decoded in the `tf.data`
pipeline (`tf.io.decode_image`, after the file list is shuffled), so the folder
never has to fit in memory. Damage inside a complete file (flipped bytes) is
only found when decoding it, where TensorFlow's error does not name the file.

Refused from the header, with a `DataError` naming the file, before anything is
decoded: empty files, files that are not PNG/JPEG/GIF/BMP whatever their name
says, headers that are cut short or impossible (a PNG bit depth its colour type
does not allow, a 0-pixel side, a 16-bit BMP), and images of more than
`MAX_IMAGE_PIXELS` pixels: a decompression bomb is a small file whose header
claims, say, 100000x100000 pixels, and decoding it would allocate tens of GB.

Modes, converted rather than refused:

- 16-bit PNGs (gray or colour) keep their precision: 0..65535 maps to [-1, 1]
  as 0..255 does for 8-bit files.
- Palette PNGs decode to RGB, or to RGBA when they carry transparency (a tRNS
  chunk); 1-, 2- and 4-bit gray PNGs decode to gray.
- Channels are kept as stored (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) when every
  file has the same count; a folder that mixes counts is converted to RGB: gray
  is repeated, alpha dropped (the colour under a transparent pixel is kept as
  stored, as Keras' `image_dataset_from_directory(color_mode="rgb")` does).
  Flatten transparent images onto a background first if that colour is
  meaningless.
- Images of different sizes are refused, naming two of them, unless
  `image_size=(h, w)` is given to resize them all.
"""

from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

import tensorflow as tf

from kerasgan.data.errors import DataError, DataNotFoundError
from kerasgan.data.pipeline import NO_LABEL, Source, tf_error_message

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
#: The most pixels (height x width) an image may have: 8192 x 8192, 1 GiB once
#: decoded to float32 RGBA. Larger images are refused from their header before
#: anything is decoded; raise it (`kerasgan.data.images.MAX_IMAGE_PIXELS = ...`)
#: to load genuine larger images.
MAX_IMAGE_PIXELS = 8192 * 8192
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}  # by PNG colour type
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOFn markers
_BMP_CHANNELS = {8: 1, 24: 3, 32: 4}  # by bits per pixel


class _Bad(Exception):
    pass


def _is_image(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def class_folders(folder: str) -> list[str]:
    """Sorted names of the (non-hidden) sub-folders of `folder`: its classes."""
    return sorted(
        name
        for name in os.listdir(folder)
        if not name.startswith(".") and os.path.isdir(os.path.join(folder, name))
    )


def _images_under(folder: str) -> list[str]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, name) for name in sorted(names) if _is_image(name)]
    return found


def list_images(folder: str) -> tuple[list[str], list[int] | None, list[str] | None]:
    """`(files, labels, class_names)`; labels and names are None for a flat folder."""
    entries = sorted(os.listdir(folder))
    classes = class_folders(folder)
    loose = [
        name for name in entries if _is_image(name) and os.path.isfile(os.path.join(folder, name))
    ]
    kinds = "/".join(ext[1:] for ext in IMAGE_EXTENSIONS)
    if not classes:
        if not loose:
            state = "is empty" if not entries else f"holds no {kinds} images"
            raise DataNotFoundError(
                f"{folder} {state}: a data folder needs images (flat, or one sub-folder "
                "per class) or MNIST-style IDX files."
            )
        return [os.path.join(folder, name) for name in loose], None, None
    if loose:
        raise DataError(
            f"{folder} has both class sub-folders ({', '.join(classes[:3])}) and images at "
            f"its top level ({', '.join(loose[:2])}): move the loose images into a class "
            "sub-folder, or point at a folder with one layout."
        )
    files, labels = [], []
    for label, name in enumerate(classes):
        found = _images_under(os.path.join(folder, name))
        if not found:
            raise DataError(
                f"Class folder {os.path.join(folder, name)} holds no {kinds} images; "
                "remove it or add images (every sub-folder is a class)."
            )
        files += found
        labels += [label] * len(found)
    return files, labels, classes


def _png(f: BinaryIO) -> tuple[int, int, int]:
    head = f.read(33)
    if len(head) < 33 or head[12:16] != b"IHDR" or head[8:12] != b"\x00\x00\x00\x0d":
        raise _Bad("corrupt PNG header")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", head[16:29]
    )
    if colour not in _PNG_CHANNELS:
        raise _Bad(f"unknown PNG colour type {colour}")
    if depth not in _PNG_DEPTHS[colour]:
        raise _Bad(
            f"corrupt PNG header: bit depth {depth} with colour type {colour} (allowed: "
            f"{', '.join(map(str, _PNG_DEPTHS[colour]))})"
        )
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise _Bad("corrupt PNG header: unknown compression, filter or interlace method")
    channels = _PNG_CHANNELS[colour]
    while colour == 3:  # palette: TensorFlow adds alpha when a tRNS chunk is there
        chunk = f.read(8)
        if len(chunk) < 8:
            raise _Bad("truncated PNG (no image data)")
        length, kind = struct.unpack(">I4s", chunk)
        if kind in (b"IDAT", b"tRNS"):
            channels = 4 if kind == b"tRNS" else 3
            break
        f.seek(length + 4, os.SEEK_CUR)
    return height, width, channels


def _jpeg(f: BinaryIO) -> tuple[int, int, int]:
    f.read(2)
    while True:
        if f.read(1) != b"\xff":
            raise _Bad("corrupt JPEG (bad marker)")
        marker = f.read(1)
        while marker == b"\xff":
            marker = f.read(1)
        if not marker:
            raise _Bad("truncated JPEG")
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:
            continue  # markers without a length
        if code in (0xD9, 0xDA):
            raise _Bad("corrupt JPEG (no frame header before the image data)")
        length = struct.unpack(">H", f.read(2))[0]
        if length < 2:
            raise _Bad("corrupt JPEG (bad segment length)")
        if code in _JPEG_FRAMES:
            _, height, width, components = struct.unpack(">BHHB", f.read(6))
            return height, width, 1 if components == 1 else 3  # CMYK decodes to RGB
        f.seek(length - 2, os.SEEK_CUR)


def _gif(f: BinaryIO) -> tuple[int, int, int]:
    width, height = struct.unpack("<HH", f.read(10)[6:10])
    return height, width, 3


def _bmp(f: BinaryIO) -> tuple[int, int, int]:
    head = f.read(30)
    if struct.unpack("<I", head[14:18])[0] == 12:  # OS/2 BITMAPCOREHEADER
        width, height, _, bits = struct.unpack("<HHHH", head[18:26])
    else:
        width, height = struct.unpack("<ii", head[18:26])
        bits = struct.unpack("<H", head[28:30])[0]
    if bits not in _BMP_CHANNELS:
        raise _Bad(f"{bits}-bit BMP; TensorFlow decodes 8-, 24- and 32-bit BMPs")
    return abs(height), width, _BMP_CHANNELS[bits]


def _looks_complete(f: BinaryIO, kind: str, size: int) -> bool:
    """Cheap truncation check: the end marker of the format (BMP: its declared size)."""
    if kind == "BMP":
        f.seek(2)
        return struct.unpack("<I", f.read(4))[0] <= size
    tail = {"PNG": b"IEND\xaeB`\x82", "JPEG": b"\xff\xd9", "GIF": b";"}[kind]
    f.seek(max(size - len(tail), 0))
    return f.read() == tail


def _decodes(path: str) -> str | None:
    """None when TensorFlow decodes the file, else its error's first line."""
    try:
        tf.io.decode_image(tf.io.read_file(path), channels=0, expand_animations=False)
    except (tf.errors.OpError, ValueError) as e:
        return tf_error_message(e)
    return None


def find_damaged(
    files: list[str], shapes: list[tuple[int, int, int]], check_size: bool
) -> str | None:
    """A message naming the first of `files` that TensorFlow cannot decode, or
    (with `check_size`) that decodes to another size than its header (in
    `shapes`) says; None when every file decodes. Run after decoding failed:
    it decodes the files again, one by one."""
    for path, shape in zip(files, shapes):
        problem = _decodes(path)
        if problem is not None:
            problem = f"truncated or corrupt data ({problem})"
        elif check_size:
            decoded = tf.io.decode_image(
                tf.io.read_file(path), channels=0, expand_animations=False
            ).shape
            if tuple(decoded[:2]) != shape[:2]:
                problem = (
                    f"it decodes to {decoded[0]}x{decoded[1]} pixels but its header says "
                    f"{shape[0]}x{shape[1]}"
                )
        if problem is not None:
            return f"Cannot read image {path}: {problem}. Remove or replace the file."
    return None


def read_header(path: str) -> tuple[int, int, int]:
    """`(height, width, channels)` of an image file, from its header.

    Also checks the file is not truncated (the format's end marker); a file
    that fails that check is decoded for real, and fails only if that fails.
    An image of more than `MAX_IMAGE_PIXELS` pixels is refused from its header,
    before anything is decoded.

    Raises:
        DataError: naming the file, when it is not a readable PNG/JPEG/GIF/BMP,
            or is larger than `MAX_IMAGE_PIXELS`.
    """
    fix = "Remove or replace the file."
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
            f.seek(0)
            if magic.startswith(_PNG_SIGNATURE):
                kind, shape = "PNG", _png(f)
            elif magic.startswith(b"\xff\xd8"):
                kind, shape = "JPEG", _jpeg(f)
            elif magic[:6] in (b"GIF87a", b"GIF89a"):
                kind, shape = "GIF", _gif(f)
            elif magic.startswith(b"BM"):
                kind, shape = "BMP", _bmp(f)
            else:
                what = "the file is empty" if not magic else "unknown format"
                raise _Bad(f"not a PNG, JPEG, GIF or BMP image ({what})")
            complete = _looks_complete(f, kind, os.fstat(f.fileno()).st_size)
    except _Bad as e:
        reason = str(e)
    except (struct.error, IndexError):
        reason = "truncated or corrupt header"
    except OSError as e:
        reason = e.strerror or str(e)
    else:
        height, width = shape[:2]
        pixels = height * width
        if height <= 0 or width <= 0:
            reason = f"it says it is {height}x{width} pixels"
        elif pixels > MAX_IMAGE_PIXELS:
            reason = (
                f"its {kind} header says it is {height}x{width} pixels ({pixels:,}), more than "
                f"kerasgan.data.images.MAX_IMAGE_PIXELS ({MAX_IMAGE_PIXELS:,}); a damaged or "
                "hostile file (a decompression bomb) says that"
            )
            fix = (
                "Remove the file, or shrink the image; if it is genuine and you have the "
                "memory, raise kerasgan.data.images.MAX_IMAGE_PIXELS."
            )
        else:
            problem = None if complete else _decodes(path)
            if problem is None:
                return shape
            reason = f"truncated or corrupt {kind} data ({problem})"
    raise DataError(f"Cannot read image {path}: {reason}. {fix}")


def match_channels(image: tf.Tensor, channels: int) -> tf.Tensor:
    """A decoded `(H, W, n)` float image with any n in 1..4 -> `channels` channels."""
    n = tf.shape(image)[-1]
    color = n >= 3
    if channels <= 2:
        weights = tf.constant([0.2989, 0.5870, 0.1140])
        base = tf.cond(
            color,
            lambda: tf.reduce_sum(image[..., :3] * weights, axis=-1, keepdims=True),
            lambda: image[..., :1],
        )
    else:
        base = tf.cond(color, lambda: image[..., :3], lambda: tf.repeat(image[..., :1], 3, -1))
    if channels in (2, 4):
        alpha = tf.cond(
            tf.equal(n % 2, 0), lambda: image[..., -1:], lambda: tf.ones_like(image[..., :1])
        )
        base = tf.concat([base, alpha], axis=-1)
    return base


def folder_class_names(folder: str) -> list[str] | None:
    """The class sub-folder names of an image folder, or None when it is flat."""
    return class_folders(folder) or None


def image_folder_source(folder: str, split: str, resizing: bool) -> Source:
    """A `Source` over an image folder (see the module docstring).

    Args:
        resizing: the caller resizes every image, so sizes may differ.
    """
    if split != "train":
        raise DataError(
            f"{folder} is a folder of images, which has one split; got split={split!r}. "
            "Pass the folder holding that split's images instead (split='train')."
        )
    files, labels, classes = list_images(folder)
    with ThreadPoolExecutor(max_workers=min(8, len(files))) as pool:
        shapes = list(pool.map(read_header, files))
    counts = {shape[2] for shape in shapes}
    channels = counts.pop() if len(counts) == 1 else 3
    height: int | None
    width: int | None
    height, width = shapes[0][:2]
    other = next((i for i, shape in enumerate(shapes) if shape[:2] != (height, width)), None)
    if other is not None:
        if not resizing:
            h2, w2 = shapes[other][:2]
            raise DataError(
                f"Images in {folder} differ in size: {files[0]} is {height}x{width} but "
                f"{files[other]} is {h2}x{w2} (height x width); pass image_size=(h, w) "
                "to resize them all to one size."
            )
        height = width = None
    label_ids = [NO_LABEL] * len(files) if labels is None else labels

    def make_elements() -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices(
            (tf.constant(files), tf.constant(label_ids, tf.int32))
        )

    def convert(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=0, dtype=tf.float32, expand_animations=False
        )
        image = match_channels(image, channels)
        if height is not None:
            same = tf.reduce_all(tf.equal(tf.shape(image)[:2], (height, width)))
            check = tf.debugging.Assert(
                same, [path, f"decodes to a size other than its header's {height}x{width}"]
            )
            with tf.control_dependencies([check]):
                image = tf.identity(image)
        image.set_shape((height, width, channels))
        return image * 2.0 - 1.0, label

    return Source(
        what=f"image folder {folder}",
        make_elements=make_elements,
        convert=convert,
        size=len(files),
        image_shape=(height, width, channels),
        has_labels=labels is not None,
        label_hint="Put each class's images in its own sub-folder (sorted names give ids 0..K-1).",
        class_names=classes,
        find_damaged=lambda: find_damaged(files, shapes, check_size=height is not None),
    )
