package main

import (
	"image"
	"image/color"
	"testing"
)

func TestCrop(t *testing.T) {
	bg := color.RGBA{246, 247, 249, 255}
	img := image.NewRGBA(image.Rect(0, 0, 40, 300))
	for y := range 300 {
		for x := range 40 {
			img.Set(x, y, bg)
		}
	}
	img.Set(10, 100, color.Black)
	out, full, err := crop(img)
	if err != nil || full {
		t.Fatal(err, full)
	}
	if got := out.Bounds().Dy(); got != 101+margin {
		t.Errorf("height %d, want %d", got, 101+margin)
	}
	if out.At(10, 100) != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("content moved: %v", out.At(10, 100))
	}
	img.Set(10, 299, color.Black)
	if _, full, _ := crop(img); !full {
		t.Error("content at the bottom edge is not reported")
	}
	blank := image.NewRGBA(image.Rect(0, 0, 10, 10))
	if _, _, err := crop(blank); err == nil {
		t.Error("a blank image was accepted")
	}
}
