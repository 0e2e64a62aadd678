// dlib_shim.cpp: extern "C" wrappers around Debian's dlib (see dlib_shim.h). Compiled by cgo with the flags in
// lmd.go; linked against libdlib through pkg-config dlib-1.
#include "dlib_shim.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_io.h>
#include <dlib/image_transforms.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

struct ern_dlib {
    dlib::frontal_face_detector detector;
    dlib::shape_predictor predictor;
};

static void set_err(char *err, int errlen, const char *msg) {
    if (err == nullptr || errlen <= 0) return;
    std::strncpy(err, msg, errlen - 1);
    err[errlen - 1] = 0;
}

// to_array2d copies packed RGB into dlib's image type.
static void to_array2d(const unsigned char *rgb, int w, int h, dlib::array2d<dlib::rgb_pixel> &img) {
    img.set_size(h, w);
    for (int r = 0; r < h; ++r) {
        const unsigned char *row = rgb + (size_t)r * w * 3;
        for (int c = 0; c < w; ++c) {
            img[r][c] = dlib::rgb_pixel(row[3 * c], row[3 * c + 1], row[3 * c + 2]);
        }
    }
}

extern "C" {

ern_dlib *ern_dlib_open(const char *model_path, char *err, int errlen) {
    ern_dlib *d = nullptr;
    try {
        d = new ern_dlib;
        d->detector = dlib::get_frontal_face_detector();
        dlib::deserialize(model_path) >> d->predictor;
        if (d->predictor.num_parts() == 0) {
            throw std::runtime_error("the model predicts no parts");
        }
        return d;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    delete d;
    return nullptr;
}

void ern_dlib_close(ern_dlib *d) { delete d; }

int ern_dlib_parts(const ern_dlib *d) { return (int)d->predictor.num_parts(); }

int ern_dlib_detect(ern_dlib *d, const unsigned char *rgb, int w, int h, int upsample, long *boxes,
                    double *scores, int maxn, char *err, int errlen) {
    try {
        dlib::array2d<dlib::rgb_pixel> img;
        to_array2d(rgb, w, h, img);
        dlib::pyramid_down<2> pyr;
        std::vector<dlib::rect_detection> dets;
        if (upsample > 0) {
            dlib::array2d<dlib::rgb_pixel> up;
            dlib::pyramid_up(img, up, pyr);
            for (int i = 1; i < upsample; ++i) dlib::pyramid_up(up);
            d->detector(up, dets, 0.0);
            for (auto &det : dets) det.rect = pyr.rect_down(det.rect, upsample);
        } else {
            d->detector(img, dets, 0.0);
        }
        for (size_t i = 0; i < dets.size() && (int)i < maxn; ++i) {
            boxes[4 * i + 0] = dets[i].rect.left();
            boxes[4 * i + 1] = dets[i].rect.top();
            boxes[4 * i + 2] = dets[i].rect.right();
            boxes[4 * i + 3] = dets[i].rect.bottom();
            scores[i] = dets[i].detection_confidence;
        }
        return (int)dets.size();
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    return -1;
}

int ern_dlib_predict(const ern_dlib *d, const unsigned char *rgb, int w, int h, long left, long top, long right,
                     long bottom, long *pts, char *err, int errlen) {
    try {
        dlib::array2d<dlib::rgb_pixel> img;
        to_array2d(rgb, w, h, img);
        dlib::full_object_detection shape = d->predictor(img, dlib::rectangle(left, top, right, bottom));
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            pts[2 * i] = shape.part(i).x();
            pts[2 * i + 1] = shape.part(i).y();
        }
        return 0;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    return -1;
}

unsigned char *ern_dlib_load_rgb(const char *path, int *w, int *h, char *err, int errlen) {
    try {
        dlib::array2d<dlib::rgb_pixel> img;
        dlib::load_image(img, path);
        const size_t n = (size_t)img.nr() * img.nc() * 3;
        unsigned char *out = (unsigned char *)std::malloc(n > 0 ? n : 1);
        if (out == nullptr) throw std::bad_alloc();
        for (long r = 0; r < img.nr(); ++r) {
            for (long c = 0; c < img.nc(); ++c) {
                unsigned char *p = out + ((size_t)r * img.nc() + c) * 3;
                p[0] = img[r][c].red;
                p[1] = img[r][c].green;
                p[2] = img[r][c].blue;
            }
        }
        *w = (int)img.nc();
        *h = (int)img.nr();
        return out;
    } catch (const std::exception &e) {
        set_err(err, errlen, e.what());
    } catch (...) {
        set_err(err, errlen, "unknown C++ exception");
    }
    return nullptr;
}

}  // extern "C"
