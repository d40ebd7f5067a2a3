"""Generate the small reference images committed under recipes/refs/ (run once; any folder)."""

from pathlib import Path

from PIL import Image, ImageDraw

out = Path(__file__).resolve().parent
people = [
    ("alice", (236, 188, 150), (90, 60, 30), (70, 130, 180)),
    ("bruno", (198, 134, 66), (20, 20, 20), (200, 60, 60)),
    ("chen", (241, 194, 125), (10, 10, 10), (60, 160, 90)),
    ("dara", (141, 85, 36), (40, 25, 10), (230, 180, 40)),
    ("emil", (255, 219, 172), (200, 160, 60), (130, 80, 170)),
]
for i, (name, skin, hair, shirt) in enumerate(people):
    im = Image.new("RGB", (256, 256), (235, 235, 240))
    d = ImageDraw.Draw(im)
    d.rectangle([40, 190, 216, 256], fill=shirt)  # shoulders
    d.rectangle([110, 150, 146, 200], fill=skin)  # neck
    d.ellipse([78, 50, 178, 170], fill=skin)  # face
    d.pieslice([70, 36, 186, 130], 180, 360, fill=hair)  # hair
    d.ellipse([103, 95, 117, 109], fill=(30, 30, 30))  # eyes
    d.ellipse([139, 95, 153, 109], fill=(30, 30, 30))
    d.arc([105, 115, 151, 150], 20, 160, fill=(120, 30, 30), width=4)  # smile
    fmt = "PNG" if i % 2 else "JPEG"
    path = out / f"person-{i + 1}-{name}.{'png' if fmt == 'PNG' else 'jpg'}"
    if fmt == "PNG":
        im = im.quantize(32)
        im.save(path, optimize=True)
    else:
        im.save(path, quality=80, optimize=True)
# a cat for image-to-image
im = Image.new("RGB", (320, 240), (250, 240, 220))
d = ImageDraw.Draw(im)
d.ellipse([90, 110, 230, 230], fill=(230, 140, 50))  # body
d.ellipse([110, 50, 210, 140], fill=(230, 140, 50))  # head
d.polygon([(115, 75), (125, 25), (150, 60)], fill=(230, 140, 50))
d.polygon([(205, 75), (195, 25), (170, 60)], fill=(230, 140, 50))
d.ellipse([135, 80, 150, 95], fill=(40, 120, 40))
d.ellipse([170, 80, 185, 95], fill=(40, 120, 40))
d.polygon([(155, 105), (165, 105), (160, 112)], fill=(200, 90, 110))
d.arc([225, 150, 300, 230], 180, 300, fill=(230, 140, 50), width=10)  # tail
im.save(out / "cat.jpg", quality=80, optimize=True)
