// Command pngcrop cuts the empty bottom off a screenshot taken through a
// tall browser window, and fails on a blank one. scripts/render-report
// uses it: headless Chromium can only shoot a window of a fixed size.
//
// Usage: go run ./scripts/pngcrop FILE.png   (rewrites FILE.png in place)
package main

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
)

// margin is the background kept below the last non-empty row.
const margin = 24

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pngcrop FILE.png")
		os.Exit(2)
	}
	w, h, err := cropFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "pngcrop: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %dx%d\n", os.Args[1], w, h)
}

// cropFile crops the PNG at path in place and returns its new size.
func cropFile(path string) (int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	out, full, err := crop(img)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	if full {
		fmt.Fprintf(os.Stderr, "pngcrop: %s: the page goes on below the window; a taller window (RENDER_HEIGHT) shows all of it\n", path)
	}
	g, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	if err := png.Encode(g, out); err != nil {
		g.Close()
		return 0, 0, err
	}
	b := out.Bounds()
	return b.Dx(), b.Dy(), g.Close()
}

// crop returns img without the rows below its content that have the
// background colour (its top left pixel's), keeping a margin; an image of
// one colour is an error. full says whether the content reaches the
// bottom edge: the window was too short for the page.
func crop(img image.Image) (out image.Image, full bool, err error) {
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Min.Y)
	same := func(x, y int) bool {
		r1, g1, b1, a1 := img.At(x, y).RGBA()
		r2, g2, b2, a2 := bg.RGBA()
		return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
	}
	last := -1
	for y := b.Max.Y - 1; y >= b.Min.Y && last < 0; y-- {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !same(x, y) {
				last = y
				break
			}
		}
	}
	if last < 0 {
		return nil, false, errors.New("the screenshot is blank: the page rendered nothing")
	}
	r := image.Rect(b.Min.X, b.Min.Y, b.Max.X, min(b.Max.Y, last+1+margin))
	rgba := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, r.Min, draw.Src)
	return rgba, last == b.Max.Y-1, nil
}
