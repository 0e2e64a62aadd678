// dlib_shim.h: the C interface of dlib_shim.cpp, the only C++ in ern. It wraps Debian's dlib 19.24: the HOG
// frontal face detector (dlib::get_frontal_face_detector) and the 68-point shape predictor (an ensemble of
// regression trees, Kazemi & Sullivan 2014). Images are packed 8-bit RGB, row-major, H×W×3.
//
// Errors never cross into Go as C++ exceptions: every call catches them and copies the message into err
// (NUL-terminated, at most errlen bytes) and returns a negative value or NULL.
#ifndef ERN_DLIB_SHIM_H
#define ERN_DLIB_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ern_dlib ern_dlib;

// ern_dlib_open builds the detector and deserializes the shape-predictor model at model_path (~100 MB, ~0.5 s).
// It returns NULL with err set when the file cannot be read or is not a shape-predictor model.
ern_dlib *ern_dlib_open(const char *model_path, char *err, int errlen);

// ern_dlib_close frees everything ern_dlib_open made. NULL is allowed.
void ern_dlib_close(ern_dlib *d);

// ern_dlib_parts is the number of landmarks the loaded model predicts (68 for the iBUG model).
int ern_dlib_parts(const ern_dlib *d);

// ern_dlib_detect runs the frontal face detector on rgb (w×h) exactly as dlib's Python binding does for
// detector(img, upsample): the image is upsampled `upsample` times with pyramid_up (pyramid_down<2>), detected
// with adjust_threshold 0, and the boxes are mapped back with rect_down. Boxes come in detection-confidence
// order, highest first, as (left, top, right, bottom) inclusive pixel coordinates in boxes[4i..4i+3] with the
// confidence in scores[i]. At most maxn are written; the return value is the number found (may exceed maxn),
// or -1 on error.
int ern_dlib_detect(ern_dlib *d, const unsigned char *rgb, int w, int h, int upsample, long *boxes,
                    double *scores, int maxn, char *err, int errlen);

// ern_dlib_predict runs the shape predictor on rgb (w×h) inside the box (left, top, right, bottom) and writes
// the parts as (x, y) integer pixel coordinates (dlib rounds its float estimates) into pts[2i], pts[2i+1],
// i < ern_dlib_parts(d). Returns 0, or -1 on error.
int ern_dlib_predict(const ern_dlib *d, const unsigned char *rgb, int w, int h, long left, long top, long right,
                     long bottom, long *pts, char *err, int errlen);

// ern_dlib_load_rgb decodes an image file with dlib's own loaders (libjpeg, libpng, BMP, DNG) into packed RGB.
// It returns a malloc'd buffer of w·h·3 bytes (free it with free) and sets *w, *h, or NULL with err set.
unsigned char *ern_dlib_load_rgb(const char *path, int *w, int *h, char *err, int errlen);

#ifdef __cplusplus
}
#endif

#endif
